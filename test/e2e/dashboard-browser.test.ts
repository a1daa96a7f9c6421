/**
 * The local page in a real browser: a stack on free ports, `streamgate demo` (what `npm run demo`
 * runs) against it in its own process, and Debian's Chromium driven by playwright-core watching
 * the page live. The page must show the three demo images, their streaming decisions (the repaired
 * one running its repaired digest, repaired from the pushed one) and their completions, and render
 * event text as text (a crafted event cannot inject markup).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FREE_PORTS } from '../../infra/local/ports.js';
import { FAST_TIMINGS, repositoryRoot, startStack, type RunningStack } from '../../infra/local/stack.js';
import { buildEvent, toPubsubMessage } from '../../shared/core/cloudevent.js';
import { EVENT_TYPES } from '../../shared/core/events.js';
import { CHROMIUM_BINARY, describeChromiumTier } from '../helpers/chromium.js';

const WAIT_MS = 90_000;
/** Set to write the README's screenshot (docs/images/local-dashboard.png) from this run. */
const SCREENSHOT = process.env.STREAMGATE_UPDATE_SCREENSHOT === '1';

describeChromiumTier('the local page in headless Chromium', () => {
  let stateDir: string;
  let stack: RunningStack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'streamgate-page-'));
    stack = await startStack({ ports: FREE_PORTS, batchTimings: FAST_TIMINGS, stateDir });
    browser = await chromium.launch({ executablePath: CHROMIUM_BINARY, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it(
    'shows the three demo images, their streaming decisions and completions, live',
    async () => {
      const url = stack.endpoints.dashboard;
      if (url === undefined) throw new Error('the stack wrote no dashboard URL');
      await page.goto(url);
      await expect.poll(() => page.textContent('#status'), { timeout: 30_000 }).toBe('live');

      const demo = await runDemo(stack.paths.endpoints);
      expect(demo.code, demo.stderr).toBe(0);

      // The demo names each image by tag and digest; the events (and the page) by digest.
      const eligible = pushedDigest(demo.stderr, 'apps/hello:eligible');
      const dup = pushedDigest(demo.stderr, 'apps/hello:dup');
      const repairable = pushedDigest(demo.stderr, 'repairs/hello:dup');
      const repaired = repairedDigest(demo.stderr);
      expect(repaired).not.toBe(repairable);
      const jobs = page.locator('#jobs tbody tr');
      await expect.poll(() => jobs.count(), { timeout: WAIT_MS }).toBe(3);
      const jobText = async (image: string) =>
        (await jobs.filter({ hasText: image }).innerText()).replace(/\s+/g, ' ');
      await expect
        .poll(() => jobText(`apps/hello@sha256:${eligible}`), { timeout: WAIT_MS })
        .toMatch(/push on SUCCEEDED$/);
      await expect
        .poll(() => jobText(`apps/hello@sha256:${dup}`), { timeout: WAIT_MS })
        .toMatch(/push off: DUPLICATE_LAYER SUCCEEDED$/);
      // The repaired job runs the repaired digest and says which pushed digest it was repaired from.
      await expect
        .poll(() => jobText(`repairs/hello@sha256:${repaired}`), { timeout: WAIT_MS })
        .toMatch(new RegExp(`push on \\(repaired from sha256:${repairable}…\\) SUCCEEDED$`));

      const events = page.locator('#events tbody tr');
      await expect.poll(() => events.filter({ hasText: 'completed' }).count(), { timeout: WAIT_MS }).toBe(3);
      const launched = events.filter({ hasText: 'launched' });
      expect(await launched.count()).toBe(3);
      expect(
        (await launched.filter({ hasText: `repairs/hello@sha256:${repaired}` }).innerText()).replace(
          /\s+/g,
          ' ',
        ),
      ).toContain(`on (repaired from sha256:${repairable}…) eligible`);
      expect(await page.locator('#completions').innerText()).toMatch(/SUCCEEDED\s+3/);
      // A repaired launch is a launch with streaming on, verdict eligible (the repaired image's).
      const launches = (await page.locator('#launches').innerText()).replace(/\s+/g, ' ');
      expect(launches).toContain('push on eligible 2');
      expect(launches).toContain('push off ineligible 1');

      if (SCREENSHOT)
        await page.screenshot({
          path: join(repositoryRoot(), 'docs/images/local-dashboard.png'),
          fullPage: true,
        });
      const shot = await page.screenshot({ fullPage: true });
      expect(shot.subarray(1, 4).toString()).toBe('PNG');
    },
    WAIT_MS * 3,
  );

  it(
    'renders what an event carries as text, never as markup',
    async () => {
      const payload = '<img src=x onerror="window.__injected=1">';
      const event = buildEvent(
        EVENT_TYPES.rejected,
        {
          reasons: [{ code: 'INVALID_REQUEST', message: payload }],
          source: 'webhook',
          correlationId: 'xss-probe',
          request: { image: payload },
        },
        { id: 'rejected:xss-probe', source: '//streamgate/test', time: new Date() },
      );
      const client = new PubSub({ apiEndpoint: stack.endpoints.pubsub, projectId: stack.endpoints.project });
      try {
        const message = toPubsubMessage(event);
        await client.topic(stack.endpoints.topics.events).publishMessage({
          data: Buffer.from(message.data),
          attributes: message.attributes,
        });
      } finally {
        await client.close();
      }
      const row = page.locator('#events tbody tr', { hasText: 'rejected' });
      await expect.poll(() => row.count(), { timeout: WAIT_MS }).toBe(1);
      expect(await row.innerText()).toContain(payload);
      expect(await page.locator('#events img').count()).toBe(0);
      expect(await page.evaluate(() => (window as { __injected?: number }).__injected)).toBeUndefined();
      expect((await page.locator('#refusals').innerText()).replace(/\s+/g, ' ')).toContain(
        'INVALID_REQUEST 1',
      );
    },
    WAIT_MS,
  );
});

/** The digest prefix the demo printed for `<repository>:<tag>` ("pushed …/apps/hello:eligible@sha256:ef122a876a72…"). */
function pushedDigest(stderr: string, image: string): string {
  const match = new RegExp(`pushed \\S+/${image}@sha256:([0-9a-f]{12})`).exec(stderr);
  if (!match) throw new Error(`the demo did not report pushing ${image}:\n${stderr}`);
  return match[1]!;
}

/** The digest prefix the demo printed for the repaired image ("launched repairs/hello:dup … repaired as sha256:…"). */
function repairedDigest(stderr: string): string {
  const match = /launched repairs\/hello:dup .*repaired as sha256:([0-9a-f]{12})/.exec(stderr);
  if (!match) throw new Error(`the demo did not report repairing repairs/hello:dup:\n${stderr}`);
  return match[1]!;
}

/** `streamgate demo --stack FILE` in its own process, as `npm run demo` runs it. */
function runDemo(stackFile: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(repositoryRoot(), 'bin/streamgate'), 'demo', '--stack', stackFile, '--timeout', '90'],
      { cwd: repositoryRoot(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
