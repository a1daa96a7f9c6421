/**
 * `streamgate demo` (`npm run demo`): pushes three freshly built images (one repaired in mode `repair`) into the local registry,
 * lets the `gcr` notifications flow through the functions, and prints every streamgate event as
 * one JSON line on stdout (a human summary goes to stderr). Uses the stack `npm start` runs, or
 * starts one in-process for the duration of the demo.
 */
import { parseCommandArgs } from './args.js';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamgateEvent } from '../shared/core/cloudevent.js';
import { EVENT_TYPES } from '../shared/core/events.js';
import { buildDemoImages, pushDemoImages, type PushedDemoImage } from '../infra/local/demo-images.js';
import { tailEvents } from '../infra/local/event-tail.js';
import { answersOn, FREE_PORTS } from '../infra/local/ports.js';
import { readEndpointsFile, type StackEndpoints } from '../infra/local/stack-config.js';
import { startStack } from '../infra/local/stack.js';
import { EXIT, UsageError, type CliIo } from './io.js';
import { defaultStackFile } from './local-stack.js';

export const DEMO_HELP = `streamgate demo — push three images into the local stack and watch the jobs they start.

Usage: streamgate demo [--stack FILE] [--timeout SECONDS]
  --stack FILE       endpoints of a running stack (default .streamgate/local-stack.json, written by
                     \`npm start\`); without a live stack there, one is started for the demo
  --timeout SECONDS  how long to wait for the three jobs to complete (default 60)

stdout: one JSON CloudEvent per line (specversion, id, source, type, time, datacontenttype, data).
stderr: a short summary. Exit status: 0 when every job completed, 1 when something is missing,
2 for a usage error.`;

interface Connected {
  endpoints: StackEndpoints;
  stop(): Promise<void>;
}

/**
 * Runs the demo; resolves with the exit status.
 *
 * @example await runDemo(['--timeout', '30'], processIo)
 */
export async function runDemo(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs('demo', {
    args,
    options: {
      stack: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(DEMO_HELP);
    return EXIT.ok;
  }
  const timeoutSeconds = Number(values.timeout ?? '60');
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > 3600) {
    throw new UsageError(
      `--timeout must be a number of seconds in (0, 3600], got ${JSON.stringify(values.timeout)}`,
    );
  }
  // Only local stand-ins are spoken to: never probe the GCE metadata server.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const stackFile = values.stack ?? (await defaultStackFile());

  const stack = await connect(stackFile, io);
  try {
    return await demonstrate(stack.endpoints, timeoutSeconds * 1000, io);
  } finally {
    await stack.stop();
  }
}

/** A running stack from the endpoints file, else a private one started here. */
async function connect(stackFile: string, io: CliIo): Promise<Connected> {
  let endpoints: StackEndpoints | undefined;
  try {
    endpoints = await readEndpointsFile(stackFile);
  } catch (error) {
    io.err(`demo: ignoring ${stackFile}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (endpoints && (await stackAnswers(endpoints))) {
    io.err(`demo: using the running stack (${stackFile})`);
    return { endpoints, stop: async () => undefined };
  }
  io.err(
    endpoints
      ? `demo: the stack in ${stackFile} does not answer; starting one for this demo…`
      : 'demo: no running stack (start one with `npm start`); starting one for this demo…',
  );
  const stateDir = await mkdtemp(join(tmpdir(), 'streamgate-demo-'));
  try {
    const stack = await startStack({
      ports: FREE_PORTS,
      stateDir,
      writeEndpointsFile: false,
      onProgress: (step) => io.err(`demo: ${step}…`),
    });
    return {
      endpoints: stack.endpoints,
      stop: async () => {
        await stack.close();
        await rm(stateDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  }
}

async function stackAnswers(endpoints: StackEndpoints): Promise<boolean> {
  const ports = [endpoints.pubsub, endpoints.registry, ...Object.values(endpoints.functions)].map((address) =>
    Number(new URL(address.includes('://') ? address : `http://${address}`).port),
  );
  const answers = await Promise.all(ports.map((port) => answersOn(port)));
  return answers.every(Boolean);
}

interface Tracked {
  image: PushedDemoImage;
  jobName?: string;
  completed?: StreamgateEvent<typeof EVENT_TYPES.completed>;
}

/** Follows the demo's images through their events; `allDone` settles when every one completed. */
function demoTracker(io: CliIo) {
  const byDigest = new Map<string, Tracked>();
  const byJob = new Map<string, Tracked>();
  let finish: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (finish = resolve));

  const launched = (data: StreamgateEvent<typeof EVENT_TYPES.launched>['data']): void => {
    // A repaired launch names the pushed digest as `repairedFrom` (and runs the repaired one).
    const pushed = data.image.repairedFrom ?? data.image.digest;
    const tracked = pushed ? byDigest.get(pushed) : undefined;
    if (!tracked) return;
    tracked.jobName = data.jobName;
    byJob.set(data.jobName, tracked);
    const why = data.streaming.enabled
      ? 'on'
      : `off: ${data.streaming.reasons.map((r) => r.code).join(', ') || data.streaming.mode}`;
    const repaired = data.image.repairedFrom ? `, repaired as ${data.image.digest?.slice(0, 19) ?? ''}…` : '';
    io.err(`launched ${tracked.image.label} in ${data.region} (streaming ${why}${repaired})`);
  };
  const completed = (event: StreamgateEvent<typeof EVENT_TYPES.completed>): void => {
    const tracked = byJob.get(event.data.jobName);
    if (!tracked || tracked.completed) return;
    tracked.completed = event;
    const took = event.data.runDurationSeconds;
    io.err(
      `completed ${tracked.image.label} ${event.data.state}${took === undefined ? '' : ` in ${took.toFixed(1)} s`}`,
    );
    if ([...byDigest.values()].every((t) => t.completed)) finish();
  };
  const onEvent = (event: StreamgateEvent): void => {
    io.out(JSON.stringify(event));
    if (event.type === EVENT_TYPES.launched) {
      launched((event as StreamgateEvent<typeof EVENT_TYPES.launched>).data);
    } else if (event.type === EVENT_TYPES.completed) {
      completed(event as StreamgateEvent<typeof EVENT_TYPES.completed>);
    } else if (event.type === EVENT_TYPES.rejected) {
      const data = (event as StreamgateEvent<typeof EVENT_TYPES.rejected>).data;
      io.err(`rejected ${data.request?.image ?? 'a request'}: ${data.reasons.map((r) => r.code).join(', ')}`);
    }
  };
  return { byDigest, allDone, onEvent };
}

async function demonstrate(endpoints: StackEndpoints, timeoutMs: number, io: CliIo): Promise<number> {
  const { byDigest, allDone, onEvent } = demoTracker(io);
  const tail = await tailEvents({
    pubsubAddress: endpoints.pubsub,
    project: endpoints.project,
    topic: endpoints.topics.events,
    onEvent,
    onInvalid: (error) =>
      io.err(`demo: skipped a message: ${error instanceof Error ? error.message : String(error)}`),
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const nonce = randomBytes(4).toString('hex');
    const images = await buildDemoImages(nonce);
    // Track before pushing: the launch can be published before the push call returns.
    for (const image of images) {
      const digest = image.image.digest;
      byDigest.set(digest, { image: { ...image, digest, reference: '' } });
    }
    const pushed = await pushDemoImages(endpoints.registry, endpoints.registryHost, images);
    for (const image of pushed) {
      const tracked = byDigest.get(image.digest);
      if (tracked) tracked.image = image;
      io.err(`pushed ${image.reference}@${image.digest.slice(0, 19)}…`);
    }
    const timedOut = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)),
    );
    if ((await Promise.race([allDone.then(() => 'done' as const), timedOut])) === 'done') return EXIT.ok;
    const missing = [...byDigest.values()]
      .filter((t) => !t.completed)
      .map((t) =>
        t.jobName ? `job.completed for ${t.image.label} (${t.jobName})` : `job.launched for ${t.image.label}`,
      );
    io.err(`demo: gave up after ${timeoutMs / 1000} s; missing ${missing.join('; ')}`);
    return 1;
  } finally {
    clearTimeout(timer);
    await tail.close();
  }
}
