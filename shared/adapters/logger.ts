/**
 * Structured JSON logging for Cloud Logging: one JSON object per line on stdout (stderr for
 * ERROR and above), with `severity`, `message` and correlation ids. Secrets are redacted by key.
 * A `correlationId` and a `jobId` field also become log entry labels
 * (`logging.googleapis.com/labels`); trace fields (log-lines.ts `traceLogFields`) pass through.
 *
 * @example
 *   const log = createLogger({ component: 'webhook' });
 *   log.info('job launched', { jobName, correlationId });
 */
import { correlationLabel } from '../core/labels.js';
import { CLOUD_LOGGING_FIELDS, JOB_LOG_LABEL } from '../core/log-lines.js';
import type { Logger } from '../core/ports.js';

// The Logger port is declared in the core (the pipeline logs through it); this module implements it.
export type { Logger };

export type Severity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL';

export type LogSink = (line: string, severity: Severity) => void;

const SEVERITY_RANK: Record<Severity, number> = {
  DEBUG: 100,
  INFO: 200,
  NOTICE: 300,
  WARNING: 400,
  ERROR: 500,
  CRITICAL: 600,
};

const SECRET_KEY =
  /secret|password|passwd|token|authorization|signature|hmac|credential|api[-_]?key|private[-_]?key/i;
const REDACTED = '[REDACTED]';

/** Replaces values under secret-looking keys, recursively; turns errors into plain objects. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    if (value.stack) out.stack = value.stack;
    if (value.cause !== undefined) out.cause = redact(value.cause, depth + 1);
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? REDACTED : redact(v, depth + 1);
    return out;
  }
  return value;
}

const defaultSink: LogSink = (line, severity) => {
  (SEVERITY_RANK[severity] >= SEVERITY_RANK.ERROR ? process.stderr : process.stdout).write(line + '\n');
};

function minimumSeverity(): Severity {
  const wanted = (process.env.STREAMGATE_LOG_LEVEL ?? 'INFO').toUpperCase();
  return wanted in SEVERITY_RANK ? (wanted as Severity) : 'INFO';
}

/**
 * The log entry labels of a line: the correlation id as the job's `streamgate-correlation` label
 * holds it (so one filter finds the functions' lines and the job's), and the job id.
 */
function logLabels(entry: Record<string, unknown>): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  if (typeof entry.correlationId === 'string') {
    const { key, value } = correlationLabel(entry.correlationId);
    labels[key] = value;
  }
  if (typeof entry.jobId === 'string') labels[JOB_LOG_LABEL] = entry.jobId;
  return Object.keys(labels).length > 0 ? labels : undefined;
}

/** Creates a logger. `sink` defaults to stdout/stderr; tests pass their own. */
export function createLogger(base: Record<string, unknown> = {}, sink: LogSink = defaultSink): Logger {
  const floor = SEVERITY_RANK[minimumSeverity()];
  const write = (severity: Severity, message: string, fields?: Record<string, unknown>): void => {
    if (SEVERITY_RANK[severity] < floor) return;
    const entry = redact({ ...base, ...fields }) as Record<string, unknown>;
    const labels = logLabels(entry);
    const line = JSON.stringify({
      severity,
      message,
      ...entry,
      ...(labels ? { [CLOUD_LOGGING_FIELDS.labels]: labels } : {}),
    });
    sink(line, severity);
  };
  return {
    debug: (m, f) => write('DEBUG', m, f),
    info: (m, f) => write('INFO', m, f),
    notice: (m, f) => write('NOTICE', m, f),
    warn: (m, f) => write('WARNING', m, f),
    error: (m, f) => write('ERROR', m, f),
    critical: (m, f) => write('CRITICAL', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, sink),
  };
}
