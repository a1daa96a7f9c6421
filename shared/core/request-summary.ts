import './zod-locale.js';
import * as z from 'zod/mini';
import { LABEL_VALUE_PATTERN, USER_LABEL_KEY_PATTERN } from './labels.js';
import { LIMITS } from './limits.js';
import { ENV_NAME_PATTERN, MACHINE_TYPE_PATTERN, REGION_PATTERN } from './request.js';

/**
 * What a `request.rejected` event may say about the request: enough to recognise it, nothing
 * secret. Environment values and container commands are left out (they may carry tokens); only
 * the variable names are kept.
 */
export const RequestSummarySchema = z.strictObject({
  image: z.optional(z.string().check(z.maxLength(LIMITS.imageLength))),
  region: z.optional(z.string().check(z.maxLength(LIMITS.regionLength))),
  streaming: z.optional(z.string().check(z.maxLength(16))),
  taskCount: z.optional(z.number()),
  parallelism: z.optional(z.number()),
  machineType: z.optional(z.string().check(z.maxLength(LIMITS.machineTypeLength))),
  provisioningModel: z.optional(z.string().check(z.maxLength(32))),
  environmentNames: z.optional(
    z
      .array(z.string().check(z.maxLength(LIMITS.environmentNameLength)))
      .check(z.maxLength(LIMITS.environmentVariableCount)),
  ),
  labels: z.optional(z.record(z.string(), z.string())),
  rule: z.optional(z.string().check(z.maxLength(LIMITS.ruleNameLength))),
});
export type RequestSummary = z.infer<typeof RequestSummarySchema>;

/**
 * Picks the safe, well-formed fields of any input, valid or not (a rejected request is often
 * invalid). Fields that are missing, mistyped or too long are omitted.
 *
 * @example summarizeRequest({ image: 'x', environment: { TOKEN: 's3cret' } }) // { image: 'x', environmentNames: ['TOKEN'] }
 */
export function summarizeRequest(input: unknown): RequestSummary {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return {};
  const r = input as Record<string, unknown>;
  const summary: RequestSummary = {};
  const text = (value: unknown, max: number, pattern?: RegExp): string | undefined =>
    typeof value === 'string' && value.length <= max && (pattern === undefined || pattern.test(value))
      ? value
      : undefined;
  const count = (value: unknown): number | undefined =>
    typeof value === 'number' && Number.isFinite(value) ? value : undefined;

  const fields: Partial<RequestSummary> = {
    image: text(r.image, LIMITS.imageLength),
    region: text(r.region, LIMITS.regionLength, REGION_PATTERN),
    streaming: text(r.streaming, 16, /^[a-z]+$/),
    taskCount: count(r.taskCount),
    parallelism: count(r.parallelism),
    machineType: text(r.machineType, LIMITS.machineTypeLength, MACHINE_TYPE_PATTERN),
    provisioningModel: text(r.provisioningModel, 32, /^[A-Z_]+$/),
    rule: text(r.rule, LIMITS.ruleNameLength, /^[a-z][a-z0-9-]*$/),
  };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) (summary as Record<string, unknown>)[key] = value;
  }
  if (isRecord(r.environment)) {
    summary.environmentNames = Object.keys(r.environment)
      .filter((name) => name.length <= LIMITS.environmentNameLength && ENV_NAME_PATTERN.test(name))
      .slice(0, LIMITS.environmentVariableCount)
      .sort();
  }
  if (isRecord(r.labels)) {
    const labels = Object.entries(r.labels)
      .filter(
        ([k, v]) => USER_LABEL_KEY_PATTERN.test(k) && typeof v === 'string' && LABEL_VALUE_PATTERN.test(v),
      )
      .slice(0, LIMITS.userLabelCount);
    if (labels.length > 0) summary.labels = Object.fromEntries(labels) as Record<string, string>;
  }
  return summary;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
