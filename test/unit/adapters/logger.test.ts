import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, redact, type Severity } from '../../../shared/adapters/logger.js';
import { StreamgateError } from '../../../shared/core/errors.js';
import { correlationLabel } from '../../../shared/core/labels.js';
import { traceLogFields } from '../../../shared/core/log-lines.js';

function capture(base: Record<string, unknown> = {}) {
  const lines: Array<{ severity: Severity; entry: Record<string, unknown> }> = [];
  const logger = createLogger(base, (line, severity) =>
    lines.push({ severity, entry: JSON.parse(line) as Record<string, unknown> }),
  );
  return { logger, lines };
}

describe('logger', () => {
  const level = process.env.STREAMGATE_LOG_LEVEL;
  afterEach(() => {
    if (level === undefined) delete process.env.STREAMGATE_LOG_LEVEL;
    else process.env.STREAMGATE_LOG_LEVEL = level;
  });

  it('writes one Cloud Logging JSON object per line with severity, message and fields', () => {
    const { logger, lines } = capture({ service: 'streamgate' });
    logger.child({ correlationId: 'corr-1' }).warn('request rejected', { code: 'POLICY_REGION' });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.severity).toBe('WARNING');
    expect(lines[0]!.entry).toMatchObject({
      severity: 'WARNING',
      message: 'request rejected',
      service: 'streamgate',
      correlationId: 'corr-1',
      code: 'POLICY_REGION',
      'logging.googleapis.com/labels': { 'streamgate-correlation': 'corr-1' },
    });
  });

  it('labels a line with the correlation id as the job label holds it, and with the job id', () => {
    const { logger, lines } = capture();
    logger.child({ correlationId: 'Build #42/Main' }).info('job launched', { jobId: 'sg-webhook-abc' });
    expect(lines[0]!.entry).toMatchObject({
      correlationId: 'Build #42/Main',
      'logging.googleapis.com/labels': {
        'streamgate-correlation': correlationLabel('Build #42/Main').value,
        'streamgate-job': 'sg-webhook-abc',
      },
    });
    expect(correlationLabel('Build #42/Main').value).toBe('build__42_main');
    logger.info('no ids');
    expect(lines[1]!.entry).not.toHaveProperty(['logging.googleapis.com/labels']);
  });

  it('passes the trace fields through to Cloud Logging', () => {
    const { logger, lines } = capture();
    const trace = traceLogFields({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }, 'p');
    logger.child(trace).warn('w');
    expect(lines[0]!.entry).toMatchObject({
      'logging.googleapis.com/trace': `projects/p/traces/${'a'.repeat(32)}`,
      'logging.googleapis.com/spanId': 'b'.repeat(16),
    });
  });

  it('never writes secrets, at any depth', () => {
    const { logger, lines } = capture();
    logger.info('incoming', {
      headers: { 'x-streamgate-signature': 't=1,v1=abc', Authorization: 'Bearer ya29.secret' },
      webhookSecrets: ['s3cret-one', 's3cret-two'],
      nested: [{ accessToken: 'ya29.other', password: 'hunter2', keep: 'visible' }],
    });
    const text = JSON.stringify(lines[0]!.entry);
    for (const secret of ['abc', 'ya29.secret', 's3cret-one', 's3cret-two', 'ya29.other', 'hunter2']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('visible');
    expect(text).toContain('[REDACTED]');
  });

  it('turns errors (with code and cause) into plain objects', () => {
    const cause = new Error('socket hang up');
    const error = new StreamgateError('BATCH_UNAVAILABLE', 'Batch is unavailable.', {
      kind: 'transient',
      cause,
    });
    expect(redact(error)).toMatchObject({
      name: 'StreamgateError',
      message: 'Batch is unavailable.',
      code: 'BATCH_UNAVAILABLE',
      cause: { name: 'Error', message: 'socket hang up' },
    });
  });

  it('drops lines below STREAMGATE_LOG_LEVEL and keeps CRITICAL', () => {
    process.env.STREAMGATE_LOG_LEVEL = 'ERROR';
    const { logger, lines } = capture();
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    logger.critical('c');
    expect(lines.map((l) => l.severity)).toEqual(['ERROR', 'CRITICAL']);
  });
});
