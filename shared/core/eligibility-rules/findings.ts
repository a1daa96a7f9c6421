import type { EligibilityReasonCode, Finding, WarningCode } from '../reason-codes.js';

/** Reasons and warnings gathered by the rules, one finding per code (the first one wins). */
export class Findings {
  readonly reasons: Finding<EligibilityReasonCode>[] = [];
  readonly warnings: Finding<WarningCode>[] = [];

  reason(code: EligibilityReasonCode, message: string): void {
    if (!this.reasons.some((r) => r.code === code)) this.reasons.push({ code, message });
  }

  warn(code: WarningCode, message: string): void {
    if (!this.warnings.some((w) => w.code === code)) this.warnings.push({ code, message });
  }

  has(code: EligibilityReasonCode): boolean {
    return this.reasons.some((r) => r.code === code);
  }

  /** Appends another set, keeping the order and the one-per-code rule. */
  merge(other: Findings): void {
    for (const r of other.reasons) this.reason(r.code, r.message);
    for (const w of other.warnings) this.warn(w.code, w.message);
  }
}

/** 'layers 2, 5 and 7' style lists for messages (1-based positions). */
export function listPositions(positions: number[]): string {
  const words = positions.map((p) => String(p + 1));
  if (words.length <= 1) return `layer ${words[0] ?? ''}`.trim();
  return `layers ${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}
