import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, redact, type Severity } from '../../../shared/adapters/logger.js';
import { StreamgateError } from '../../../shared/core/errors.js';

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
