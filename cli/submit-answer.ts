/**
 * How `streamgate submit` shows the webhook's answer: a short summary (or the JSON exactly) on
 * stdout for a 2xx, the problem's code and message on stderr otherwise.
 */
import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import type { HttpResponse } from '../shared/adapters/registry/http.js';
import type { CliIo } from './io.js';

/** Exit statuses of `submit`: 1 is a refusal the request can fix, 2 everything else. */
const SUBMIT_EXIT = { ok: 0, refused: 1, failed: 2 } as const;

const StreamingSchema = z.looseObject({
  enabled: z.boolean(),
  verdict: z.string().optional(),
  reasons: z.array(z.looseObject({ code: z.string() })).optional(),
});
const LaunchedSchema = z.looseObject({
  status: z.literal('launched'),
  created: z.boolean(),
  jobId: z.string(),
  jobName: z.string(),
  region: z.string(),
  imageUri: z.string(),
  streaming: StreamingSchema,
});
const PlannedSchema = z.looseObject({
  jobRegion: z.string(),
  imageUri: z.string(),
  streaming: StreamingSchema,
  job: z.looseObject({ jobId: z.string() }),
});
const ProblemSchema = z.looseObject({
  code: z.string(),
  detail: z.string(),
  reasons: z.array(z.looseObject({ code: z.string(), message: z.string() })).optional(),
});

/**
 * Prints the answer and returns the exit status.
 *
 * @example reportAnswer({ status: 202, headers, body }, false, io) // 0, "launched sg-webhook-… in us-central1 (new job)"
 */
export function reportAnswer(answer: HttpResponse, json: boolean, io: CliIo): number {
  const text = answer.body.toString('utf8');
  const parsed = parseJson(text);
  if (answer.status >= 200 && answer.status < 300) {
    io.out(json ? text : (summary(parsed) ?? text));
    return SUBMIT_EXIT.ok;
  }
  if (json && text !== '') io.out(text);
  const problem = ProblemSchema.safeParse(parsed);
  if (problem.success) {
    const [, ...more] = problem.data.reasons ?? [];
    io.err(`streamgate submit: ${answer.status} ${problem.data.code}: ${problem.data.detail}`);
    for (const reason of more) io.err(`  ${reason.code}: ${reason.message}`);
  } else {
    const words = text.replace(/\s+/g, ' ').trim().slice(0, 200);
    io.err(
      `streamgate submit: ${answer.status} ${STATUS_CODES[answer.status] ?? ''}${words ? `: ${words}` : ''}`,
    );
  }
  const retryAfter = answer.headers.get('retry-after');
  if (retryAfter !== null && /^\d{1,6}$/.test(retryAfter)) io.err(`  retry after ${retryAfter} s`);
  return answer.status >= 400 && answer.status < 500 ? SUBMIT_EXIT.refused : SUBMIT_EXIT.failed;
}

function summary(answer: unknown): string | undefined {
  const launched = LaunchedSchema.safeParse(answer);
  if (launched.success) {
    const a = launched.data;
    const how = a.created ? 'new job' : 'existing job: this request was launched before';
    return [
      `launched ${a.jobId} in ${a.region} (${how})`,
      `  job:       ${a.jobName}`,
      `  image:     ${a.imageUri}`,
      `  streaming: ${streamingWords(a.streaming)}`,
    ].join('\n');
  }
  const planned = PlannedSchema.safeParse(answer);
  if (planned.success) {
    const p = planned.data;
    return [
      `would launch ${p.job.jobId} in ${p.jobRegion} (plan only: nothing was created)`,
      `  image:     ${p.imageUri}`,
      `  streaming: ${streamingWords(p.streaming)}`,
    ].join('\n');
  }
  return undefined;
}

function streamingWords(streaming: z.infer<typeof StreamingSchema>): string {
  const codes = (streaming.reasons ?? []).map((r) => r.code).join(', ');
  const why = streaming.verdict ? ` (${streaming.verdict}${codes ? `: ${codes}` : ''})` : '';
  return `${streaming.enabled ? 'on' : 'off'}${why}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
