/**
 * The local page's server and `streamgate events`, against the stand-ins: events published on the
 * events topic reach the page's stream and the terminal table; the server answers only GET and HEAD,
 * only to a Host naming 127.0.0.1, and bounds its open streams.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEvents } from '../../../cli/events.js';
import { startDashboard, type Dashboard } from '../../../infra/local/dashboard/server.js';
import { stackEndpoints, writeEndpointsFile } from '../../../infra/local/stack-config.js';
import { startStandIns, type StandIns } from '../../../infra/local/standins.js';
import { buildEvent, toPubsubMessage } from '../../../shared/core/cloudevent.js';
import { EVENT_TYPES } from '../../../shared/core/events.js';

const TOPIC = 'streamgate-events';

describe('the local page server and streamgate events', () => {
  let standIns: StandIns;
  let page: Dashboard;
  let dir: string;
  let stackFile: string;

  const publishRejection = (id: string, code: string) => {
    const event = buildEvent(
      EVENT_TYPES.rejected,
      { reasons: [{ code: code as 'POLICY_REGION', message: 'm' }], source: 'webhook', correlationId: id },
      { id: `rejected:${id}`, source: '//streamgate/test', time: new Date() },
    );
    standIns.pubsub.publish(`projects/${standIns.project}/topics/${TOPIC}`, toPubsubMessage(event));
  };

  beforeAll(async () => {
    standIns = await startStandIns({ topics: [TOPIC] });
    page = await startDashboard({
      port: 0,
      pubsubAddress: standIns.pubsub.address,
      batchAddress: standIns.batch.address,
      project: standIns.project,
      topic: TOPIC,
      pollMs: 100,
    });
    dir = await mkdtemp(join(tmpdir(), 'streamgate-page-'));
    stackFile = join(dir, 'local-stack.json');
    const unused = 'http://127.0.0.1:9/';
    const functions = {
      onImagePush: unused,
      onJobRequest: unused,
      webhook: unused,
      onJobStateChanged: unused,
    };
    await writeEndpointsFile(stackFile, stackEndpoints(standIns, functions, 'unused-secret', page.url));
  }, 60_000);
  afterAll(async () => {
    await page?.close();
    await standIns?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves the page with a strict CSP, and only GET and HEAD to a Host naming 127.0.0.1', async () => {
    const home = await fetch(page.url);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await home.text()).toContain('<script src="/page.js" defer></script>');
    expect((await fetch(`${page.url}/page.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(page.url, { method: 'POST', body: 'x' })).status).toBe(405);
    expect((await fetch(`${page.url}/nope`)).status).toBe(404);
    expect(await statusWithHost(page.url, 'attacker.example')).toBe(421);
    expect(await statusWithHost(page.url, new URL(page.url).host)).toBe(200);
  });

  it('prints the events the page holds as a table, and follows new ones', async () => {
    publishRejection('first', 'POLICY_REGION');
    const lines: string[] = [];
    const io = { out: (text: string) => lines.push(text), err: (text: string) => lines.push(`ERR ${text}`) };
    await expect
      .poll(
        async () => {
          lines.length = 0;
          await runEvents(['--stack', stackFile], io);
          return lines.join('\n');
        },
        { timeout: 30_000 },
      )
      .toMatch(/rejected .*POLICY_REGION/);
    expect(lines[0]).toMatch(/^TIME +EVENT +JOB +IMAGE +STREAMING +DETAIL$/);

    const followed: string[] = [];
    const stop = new AbortController();
    const following = runEvents(
      ['--follow', '--stack', stackFile],
      { out: (t) => followed.push(t), err: (t) => followed.push(t) },
      stop.signal,
    );
    await expect.poll(() => followed.length, { timeout: 10_000 }).toBe(2);
    publishRejection('second', 'POLICY_MACHINE_TYPE');
    await expect.poll(() => followed.join('\n'), { timeout: 30_000 }).toMatch(/POLICY_MACHINE_TYPE/);
    stop.abort();
    expect(await following).toBe(0);
    // Each event once: the first from the snapshot, the second as it arrived.
    expect(followed.filter((line) => line.includes('rejected'))).toHaveLength(2);
  });

  it('refuses a 17th open stream with 503', async () => {
    const controllers = Array.from({ length: 16 }, () => new AbortController());
    try {
      const open = await Promise.all(
        controllers.map((c) => fetch(`${page.url}/events`, { signal: c.signal })),
      );
      expect(open.map((r) => r.status)).toEqual(Array(16).fill(200));
      expect((await fetch(`${page.url}/events`)).status).toBe(503);
    } finally {
      for (const c of controllers) c.abort();
    }
  });
});

/** GET / with an explicit Host header (fetch does not let a caller set Host). */
function statusWithHost(url: string, host: string): Promise<number> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
}
