import type { EligibilityReport, Verdict } from '../shared/core/eligibility.js';
import { EXIT, type CliIo } from './io.js';

/** The `--json` shape: exactly one object on stdout. */
export interface CheckJson {
  verdict: Verdict;
  reasons: { code: string; message: string }[];
  warnings: { code: string; message: string }[];
  platformDigest?: string;
  jobRegion?: string;
}

export function toCheckJson(report: EligibilityReport): CheckJson {
  const json: CheckJson = {
    verdict: report.verdict,
    reasons: report.reasons.map(({ code, message }) => ({ code, message })),
    warnings: report.warnings.map(({ code, message }) => ({ code, message })),
  };
  if (report.platformDigest !== undefined) json.platformDigest = report.platformDigest;
  if (report.jobRegion !== undefined) json.jobRegion = report.jobRegion;
  return json;
}

/** A short readable report: verdict first, then each reason and warning. */
export function formatReport(report: EligibilityReport, subject: string): string {
  const lines = [`${report.verdict.toUpperCase()}: ${subject}`];
  if (report.platformDigest !== undefined) lines.push(`  platform image: ${report.platformDigest}`);
  if (report.jobRegion !== undefined) lines.push(`  job region: ${report.jobRegion}`);
  for (const r of report.reasons) lines.push(`  reason  ${r.code}: ${r.message}`);
  for (const w of report.warnings) lines.push(`  warning ${w.code}: ${w.message}`);
  if (report.verdict === 'eligible' && report.reasons.length === 0)
    lines.push('  Batch can stream this image.');
  return lines.join('\n');
}

/** Prints the report and returns the exit status for its verdict. */
export function printReport(report: EligibilityReport, subject: string, json: boolean, io: CliIo): number {
  io.out(json ? JSON.stringify(toCheckJson(report)) : formatReport(report, subject));
  return exitStatusFor(report.verdict);
}

export function exitStatusFor(verdict: Verdict): number {
  return verdict === 'eligible' ? EXIT.ok : EXIT.ineligible;
}
