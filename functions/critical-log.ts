import { redact } from '../shared/adapters/logger.js';

/**
 * One CRITICAL line in the Cloud Logging JSON format. The shared Logger stops at ERROR, and a
 * deployment that cannot start deserves the alerting level above it.
 */
export function logCritical(message: string, fields: Record<string, unknown> = {}): void {
  const entry = redact({ service: 'streamgate', ...fields }) as Record<string, unknown>;
  process.stderr.write(JSON.stringify({ severity: 'CRITICAL', message, ...entry }) + '\n');
}
