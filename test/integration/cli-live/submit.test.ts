/**
 * `streamgate submit`: signs a JobRequest with scheme v2 and posts it to the real webhook (the
 * four functions on functions-framework test servers, Batch and Pub/Sub stand-ins behind them),
 * by `--url` or through a local stack endpoints file.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { verifySignature } from '../../../shared/core/webhook-signature.js';
import { buildImage, makeLayer, Pusher } from '../../helpers/oci-images.js';
import {
  PROJECT,
  REGISTRY_HOST,
  SECRET,
  startStack,
  TOPICS,
  type Stack,
} from '../../helpers/stack-harness.js';

const KEY_ENV = 'SUBMIT_TEST_WEBHOOK_KEY';
const IMAGE = `${REGISTRY_HOST}/${PROJECT}/apps/submit:v1`;

interface Run {
  code: number;
  out: string;
  err: string;
}

describe('streamgate submit', () => {
  let stack: Stack;
  let dir: string;
  let stackFile: string;

  beforeAll(async () => {
    stack = await startStack();
    await new Pusher(stack.standIns.registry.url).pushImage(
      `${PROJECT}/apps/submit`,
      buildImage([await makeLayer({ 'submit.txt': 'submit' })]),
      'v1',
    );
    await stack.standIns.pushesSettled();
    dir = await mkdtemp(join(tmpdir(), 'streamgate-submit-'));
    stackFile = join(dir, 'local-stack.json');
    const { standIns, urls } = stack;
    await writeFile(
      stackFile,
      JSON.stringify({
        functions: urls,
        batch: standIns.batch.address,
        pubsub: standIns.pubsub.address,
        artifactRegistry: standIns.artifactRegistry.address,
        registry: standIns.registry.url,
        registryHost: REGISTRY_HOST,
        project: PROJECT,
        topics: TOPICS,
        webhookSecret: SECRET,
      }),
    );
  });
  afterAll(async () => {
    delete process.env[KEY_ENV];
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function requestFile(name: string, fields: Record<string, unknown> = {}): Promise<string> {
    const file = join(dir, `${name}.json`);
    // Pretty-printed with a trailing newline: the bytes are signed and sent exactly as they are.
    await writeFile(
      file,
      JSON.stringify({ apiVersion: 'streamgate/v1', image: IMAGE, ...fields }, null, 2) + '\n',
    );
    return file;
  }

  async function submit(...args: string[]): Promise<Run> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['submit', ...args], { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  const jobsNamed = (jobId: string) =>
    stack.standIns.batch.jobs().filter((j) => j.name.endsWith(`/jobs/${jobId}`));

  it('--plan --url --json prints the webhook answer exactly and creates nothing', async () => {
    process.env[KEY_ENV] = SECRET;
    const creates = stack.standIns.batch.createCalls();
    const r = await submit(
      '--request',
      await requestFile('plan'),
      '--plan',
      '--url',
      stack.urls.webhook,
      '--key-env',
      KEY_ENV,
      '--json',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const answer = JSON.parse(r.out) as { jobRegion: string; job: { jobId: string } };
    expect(answer.jobRegion).toBe('us-central1');
    expect(answer.job.jobId).toMatch(/^sg-webhook-/);
    expect(stack.standIns.batch.createCalls()).toBe(creates);
  });

  it('without --url, posts to the local stack with its key and prints a summary', async () => {
    delete process.env.STREAMGATE_WEBHOOK_SECRET;
    const r = await submit(
      '--request',
      await requestFile('launch', { idempotencyKey: 'submit-1' }),
      '--stack',
      stackFile,
    );
    expect(r.code).toBe(0);
    const first = r.out.split('\n')[0] ?? '';
    expect(first).toMatch(/^launched sg-webhook-[a-z2-7]+ in us-central1 \(new job\)$/);
    const jobId = first.split(' ')[1] as string;
    expect(jobsNamed(jobId)).toHaveLength(1);
    expect(r.out).toContain(`image:     ${IMAGE.replace(':v1', '@sha256:')}`);

    // The same key again: the webhook finds the job, and the summary says so.
    const again = await submit(
      '--request',
      await requestFile('launch', { idempotencyKey: 'submit-1' }),
      '--stack',
      stackFile,
    );
    expect(again.code).toBe(0);
    expect(again.out.split('\n')[0]).toBe(
      `launched ${jobId} in us-central1 (existing job: this request was launched before)`,
    );
    expect(jobsNamed(jobId)).toHaveLength(1);
    expect(`${r.out}${r.err}${again.out}${again.err}`).not.toContain(SECRET);
  });

  it('signs with the first key of a comma list', async () => {
    process.env[KEY_ENV] = `${SECRET},some-other-key-that-is-not-configured`;
    const r = await submit(
      '--request',
      await requestFile('comma'),
      '--plan',
      '--url',
      `${stack.urls.webhook}/`,
      '--key-env',
      KEY_ENV,
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^would launch sg-webhook-[a-z2-7]+ in us-central1 \(plan only: nothing was created\)/,
    );
  });

  it('exits 1 with the problem code and message on stderr when the webhook refuses', async () => {
    process.env[KEY_ENV] = SECRET;
    const outside = await requestFile('outside', { image: `${REGISTRY_HOST}/other-project/repo/app:v1` });
    const refused = await submit('--request', outside, '--url', stack.urls.webhook, '--key-env', KEY_ENV);
    expect(refused.code).toBe(1);
    expect(refused.out).toBe('');
    expect(refused.err).toMatch(/^streamgate submit: 403 POLICY_REPOSITORY: /);

    process.env[KEY_ENV] = 'a-key-the-webhook-does-not-know-0123456789';
    const unsigned = await submit(
      '--request',
      await requestFile('wrong-key'),
      '--url',
      stack.urls.webhook,
      '--key-env',
      KEY_ENV,
      '--json',
    );
    expect(unsigned.code).toBe(1);
    expect(JSON.parse(unsigned.out)).toMatchObject({ status: 401, code: 'SIGNATURE_INVALID' });
    expect(unsigned.err).toMatch(/^streamgate submit: 401 SIGNATURE_INVALID: /);
    expect(unsigned.err).not.toContain('a-key-the-webhook-does-not-know');
  });

  it('exits 2 without a key, for an unreadable or oversized file, without a stack and when nothing answers', async () => {
    delete process.env[KEY_ENV];
    const creates = stack.standIns.batch.createCalls();
    const file = await requestFile('usage');
    const noKey = await submit('--request', file, '--url', stack.urls.webhook, '--key-env', KEY_ENV);
    expect(noKey.code).toBe(2);
    expect(noKey.err).toContain(`set ${KEY_ENV}`);

    const missing = await submit('--request', join(dir, 'nope.json'), '--stack', stackFile);
    expect(missing).toMatchObject({ code: 2, err: expect.stringContaining('ENOENT') as string });

    const big = join(dir, 'big.json');
    await writeFile(big, Buffer.alloc(1_048_577, 0x20));
    expect((await submit('--request', big, '--stack', stackFile)).err).toContain('1048577 bytes');

    const noStack = await submit('--request', file, '--stack', join(dir, 'absent.json'));
    expect(noStack).toMatchObject({ code: 2, err: expect.stringContaining('npm start') as string });

    process.env[KEY_ENV] = SECRET;
    const down = await submit(
      '--request',
      file,
      '--url',
      'http://127.0.0.1:9',
      '--key-env',
      KEY_ENV,
      '--timeout',
      '5000',
    );
    expect(down).toMatchObject({
      code: 2,
      err: expect.stringContaining('no answer from http://127.0.0.1:9/jobs') as string,
    });
    expect(await submit('--request', file, '--url', 'ftp://x', '--key-env', KEY_ENV)).toMatchObject({
      code: 2,
    });
    expect(await submit('--plan')).toMatchObject({ code: 2 });
    expect(stack.standIns.batch.createCalls()).toBe(creates);
  });

  describe('against a loopback server', () => {
    let server: Server;
    let base: string;
    const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: Buffer }> =
      [];
    let answer: (res: ServerResponse) => void = (res) => res.end();

    beforeAll(async () => {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          seen.push({
            method: req.method ?? '',
            url: req.url ?? '',
            headers: req.headers,
            body: Buffer.concat(chunks),
          });
          answer(res);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('sends the exact file bytes, signs the route without the URL prefix, and adds the bearer token', async () => {
      process.env[KEY_ENV] = SECRET;
      process.env.SUBMIT_TEST_ID_TOKEN = 'id-token-for-the-proxy';
      answer = (res) => {
        res.writeHead(202, { 'Content-Type': 'application/json' });
        res.end('{"status":"launched","created":true}');
      };
      const file = await requestFile('exact', { labels: { team: 'café' } });
      const r = await submit(
        '--request',
        file,
        '--url',
        `${base}/webhook`,
        '--key-env',
        KEY_ENV,
        '--bearer-env',
        'SUBMIT_TEST_ID_TOKEN',
        '--json',
      );
      expect(r.code).toBe(0);
      expect(r.out).toBe('{"status":"launched","created":true}');
      const got = seen.at(-1);
      expect(got?.method).toBe('POST');
      expect(got?.url).toBe('/webhook/jobs');
      expect(got?.body.equals(await readFile(file))).toBe(true);
      expect(got?.headers.authorization).toBe('Bearer id-token-for-the-proxy');
      const check = verifySignature({
        header: got?.headers['x-streamgate-signature'] as string,
        request: { method: 'POST', path: '/jobs', body: got?.body ?? Buffer.alloc(0) },
        secrets: [SECRET],
        nowSeconds: Math.floor(Date.now() / 1000),
        toleranceSeconds: 300,
      });
      expect(check.ok).toBe(true);
      expect(r.err).not.toContain('id-token-for-the-proxy');
    });

    it('exits 2 on a 5xx (with its Retry-After), 1 on a non-JSON 4xx, 2 on a timeout or an unset --bearer-env', async () => {
      process.env[KEY_ENV] = SECRET;
      const file = await requestFile('answers');
      answer = (res) => {
        res.writeHead(503, { 'Content-Type': 'application/problem+json', 'Retry-After': '5' });
        res.end(
          JSON.stringify({
            status: 503,
            code: 'BATCH_UNAVAILABLE',
            detail: 'Cloud Batch is unavailable for now; retry in 5 s.',
          }),
        );
      };
      const unavailable = await submit('--request', file, '--url', base, '--key-env', KEY_ENV);
      expect(unavailable.code).toBe(2);
      expect(unavailable.err).toContain(
        'streamgate submit: 503 BATCH_UNAVAILABLE: Cloud Batch is unavailable',
      );
      expect(unavailable.err).toContain('retry after 5 s');

      answer = (res) => {
        res.writeHead(400, { 'Content-Type': 'text/html' });
        res.end('<html><body>Bad Request</body></html>');
      };
      const html = await submit('--request', file, '--url', base, '--key-env', KEY_ENV);
      expect(html.code).toBe(1);
      expect(html.err).toMatch(/^streamgate submit: 400 Bad Request: <html>/);

      answer = () => undefined; // never answers
      const slow = await submit('--request', file, '--url', base, '--key-env', KEY_ENV, '--timeout', '300');
      expect(slow.code).toBe(2);
      expect(slow.err).toContain(`no answer from ${base}/jobs`);

      delete process.env.SUBMIT_TEST_UNSET_TOKEN;
      const before = seen.length;
      const unset = await submit(
        '--request',
        file,
        '--url',
        base,
        '--key-env',
        KEY_ENV,
        '--bearer-env',
        'SUBMIT_TEST_UNSET_TOKEN',
      );
      expect(unset).toMatchObject({
        code: 2,
        err: expect.stringContaining('SUBMIT_TEST_UNSET_TOKEN is not set') as string,
      });
      expect(seen.length).toBe(before);
    });
  });
});
