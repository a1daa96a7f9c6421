/**
 * The delivery-chaos run: N logical requests (image pushes, Pub/Sub JobRequests, webhook calls)
 * delivered at least once, duplicated and shuffled, with bounded concurrency, against the real
 * functions while the Batch stand-in fails CreateJob AFTER creating the job. Some Pub/Sub and
 * webhook keys also get a conflicting twin (same key, another request) racing the original.
 * Failed deliveries are redelivered like Pub/Sub does (backoff, bounded attempts, overall
 * deadline). Used by the chaos test and by bench/chaos.ts.
 */
import { mulberry32 } from '../../../infra/local/batch/faults.js';
import type { BatchFaults } from '../../../infra/local/batch/server.js';
import { fromPubsubMessage } from '../../../shared/core/cloudevent.js';
import { EVENT_TYPES } from '../../../shared/core/events.js';
import { jobIdFor, launchEventId, pushIdempotencyKey } from '../../../shared/core/ids.js';
import { buildImage, makeLayer, Pusher } from '../../helpers/oci-images.js';
import { EVENTS_TOPIC, startStack, type Stack } from '../../helpers/stack-harness.js';

export interface ChaosOptions {
  /** Logical requests (each becomes exactly one job). */
  n: number;
  seed: number;
  /** Share of logical requests delivered twice or more. */
  duplicateRate?: number;
  /** Deliveries in flight at once. */
  concurrency?: number;
  /** Attempts per delivery before it counts as lost. */
  maxAttempts?: number;
  /** Overall bound: deliveries still pending then count as lost. */
  deadlineMs?: number;
  /** Share of Pub/Sub and webhook keys also sent with another request (an idempotency conflict). */
  conflictRate?: number;
}

/** 20% UNAVAILABLE and 5% DEADLINE_EXCEEDED on CreateJob, after the job exists; latency spikes. */
function chaosFaults(seed: number): BatchFaults {
  return {
    createJob: { UNAVAILABLE: 0.2, DEADLINE_EXCEEDED: 0.05 },
    errorTiming: { UNAVAILABLE: 'after', DEADLINE_EXCEEDED: 'after' },
    latencyMs: { min: 0, max: 4 },
    spikeRate: 0.03,
    spikeMs: 150,
    seed,
  };
}

type Kind = 'push' | 'pubsub' | 'webhook';

interface LogicalRequest {
  index: number;
  kind: Kind;
  expectedJobId: string;
  /** Same key as request `index`, another body: whichever of the two lands first gets the job. */
  twin?: boolean;
  send(stack: Stack): Promise<Response>;
}

interface Delivery {
  request: LogicalRequest;
  attempts: number;
}

export interface ChaosResult {
  n: number;
  seed: number;
  byKind: Record<Kind, number>;
  deliveries: number;
  duplicates: number;
  attempts: number;
  retries: number;
  /** Non-2xx answers by status (each caused a redelivery). */
  failures: Record<string, number>;
  createJobCalls: number;
  getJobCalls: number;
  jobs: number;
  distinctJobIds: number;
  unexpectedJobIds: string[];
  missingJobIds: string[];
  launchedEvents: number;
  distinctLaunchedIds: number;
  missingLaunchedIds: string[];
  rejectedEvents: number;
  /** Keys sent with two different requests, and the distinct request.rejected ce-ids. */
  conflictPairs: number;
  distinctRejectedIds: number;
  lost: number;
  durationMs: number;
}

const CHAOS_IMAGE = 'us-central1-docker.pkg.dev/demo-project/apps/chaos-base:1.0';

/**
 * Starts a stack with the chaos faults, runs the chaos, and closes the stack.
 *
 * @example
 *   const result = await runDeliveryChaos({ n: 200, seed: 7 });
 *   // result.jobs === 200, result.distinctLaunchedIds === 200, result.lost === 0
 */
export async function runDeliveryChaos(options: ChaosOptions): Promise<ChaosResult> {
  const stack = await startStack({ batch: { timings: 'manual', faults: chaosFaults(options.seed) } });
  try {
    return await runOnStack(stack, options);
  } finally {
    await stack.close();
  }
}

async function runOnStack(stack: Stack, options: ChaosOptions): Promise<ChaosResult> {
  const random = mulberry32(options.seed);
  const { n } = options;
  const requests = await logicalRequests(stack, n, options.seed, options.conflictRate ?? 0.1);

  // At-least-once: every request once, 30% of them again (a few three times), shuffled.
  const deliveries: Delivery[] = requests.map((request) => ({ request, attempts: 0 }));
  let duplicates = 0;
  for (const request of requests) {
    if (random() >= (options.duplicateRate ?? 0.3)) continue;
    const copies = random() < 0.2 ? 2 : 1;
    for (let i = 0; i < copies; i++) deliveries.push({ request, attempts: 0 });
    duplicates += copies;
  }
  shuffle(deliveries, random);

  const started = Date.now();
  const deadline = started + (options.deadlineMs ?? 50_000);
  const maxAttempts = options.maxAttempts ?? 25;
  const failures: Record<string, number> = {};
  let attempts = 0;
  let lost = 0;
  const queue = [...deliveries];
  let waiting = 0; // deliveries sleeping in a backoff

  const worker = async (): Promise<void> => {
    for (;;) {
      const delivery = queue.shift();
      if (!delivery) {
        if (waiting === 0) return;
        await sleep(5);
        continue;
      }
      if (Date.now() > deadline) {
        lost += 1;
        continue;
      }
      delivery.attempts += 1;
      attempts += 1;
      let status: number;
      try {
        const response = await delivery.request.send(stack);
        await response.arrayBuffer();
        status = response.status;
      } catch {
        status = 0; // a network error: redelivered like any failure
      }
      // A 409 (the key names another request) is final: a client sends a new key, not the same call.
      if ((status >= 200 && status < 300) || status === 409) continue;
      failures[String(status)] = (failures[String(status)] ?? 0) + 1;
      if (delivery.attempts >= maxAttempts) {
        lost += 1;
        continue;
      }
      // Pub/Sub-like backoff (10 ms doubling, at most 200 ms), then back in the queue.
      waiting += 1;
      void sleep(Math.min(200, 10 * 2 ** (delivery.attempts - 1))).then(() => {
        waiting -= 1;
        queue.push(delivery);
      });
    }
  };
  // At least one redelivery whatever the interleaving: the first 3 CreateJob calls per worker fail
  // before taking effect. No delivery succeeds while they last and one holds at most 3 of them (the
  // adapter's attempts), so some delivery fails all its attempts and is answered non-2xx.
  const concurrency = options.concurrency ?? 8;
  stack.standIns.batch.failNext('createJob', 'UNAVAILABLE', 3 * concurrency, 'before');
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  const durationMs = Date.now() - started;

  const jobs = stack.standIns.batch.jobs();
  const jobIds = jobs.map((j) => j.name.slice(j.name.lastIndexOf('/') + 1));
  const expected = new Set(requests.map((r) => r.expectedJobId));
  const actual = new Set(jobIds);
  const events = stack.standIns.pubsub
    .published(EVENTS_TOPIC)
    .map((m) => fromPubsubMessage({ data: m.data, attributes: m.attributes }));
  const launched = events.filter((e) => e.type === EVENT_TYPES.launched);
  const launchedIds = new Set(launched.map((e) => e.id));
  const byKind: Record<Kind, number> = { push: 0, pubsub: 0, webhook: 0 };
  for (const r of requests) if (!r.twin) byKind[r.kind] += 1;
  const rejected = events.filter((e) => e.type === EVENT_TYPES.rejected);

  return {
    n,
    seed: options.seed,
    byKind,
    deliveries: deliveries.length,
    duplicates,
    attempts,
    retries: attempts - deliveries.length,
    failures,
    createJobCalls: stack.standIns.batch.createCalls(),
    getJobCalls: stack.standIns.batch.callCount('getJob'),
    jobs: jobs.length,
    distinctJobIds: actual.size,
    unexpectedJobIds: [...actual].filter((id) => !expected.has(id)),
    missingJobIds: [...expected].filter((id) => !actual.has(id)),
    launchedEvents: launched.length,
    distinctLaunchedIds: launchedIds.size,
    missingLaunchedIds: [...expected].map(launchEventId).filter((id) => !launchedIds.has(id)),
    rejectedEvents: rejected.length,
    conflictPairs: requests.filter((r) => r.twin).length,
    distinctRejectedIds: new Set(rejected.map((e) => e.id)).size,
    lost,
    durationMs,
  };
}

/**
 * Builds the N requests: a third pushes of distinct images, a third Pub/Sub, a third webhook; a
 * share of the Pub/Sub and webhook keys get a twin asking for another task count.
 */
async function logicalRequests(
  stack: Stack,
  n: number,
  seed: number,
  conflictRate: number,
): Promise<LogicalRequest[]> {
  const random = mulberry32(seed ^ 0x5eed);
  const pusher = new Pusher(stack.standIns.registry.url);
  const base = buildImage([await makeLayer({ 'base.txt': `chaos ${seed}` })]);
  await pusher.pushImage('demo-project/apps/chaos-base', base, '1.0');

  const requests: LogicalRequest[] = [];
  const pushes: number[] = [];
  for (let index = 0; index < n; index++) {
    const kind: Kind = (['push', 'pubsub', 'webhook'] as const)[index % 3] as Kind;
    if (kind === 'push') {
      pushes.push(index);
      continue;
    }
    const key = `chaos-${kind}-${seed}-${index}`;
    const twin = random() < conflictRate;
    for (const taskCount of twin ? [1, 2] : [1]) {
      const request = { apiVersion: 'streamgate/v1', image: CHAOS_IMAGE, taskCount };
      const common = { index, kind, ...(taskCount === 2 ? { twin: true } : {}) };
      if (kind === 'pubsub') {
        const data = JSON.stringify({ ...request, idempotencyKey: key });
        const messageId = `chaos-msg-${seed}-${index}-${taskCount}`;
        requests.push({
          ...common,
          expectedJobId: jobIdFor('pubsub', key),
          send: (s) =>
            s.deliver('onJobRequest', { data, messageId }, index % 2 === 0 ? 'binary' : 'structured'),
        });
      } else {
        const body = JSON.stringify(request);
        requests.push({
          ...common,
          expectedJobId: jobIdFor('webhook', key),
          send: (s) => s.webhook('/jobs', body, { headers: { 'Idempotency-Key': key } }),
        });
      }
    }
  }

  // Distinct images, each announced by the registry on the gcr topic in Artifact Registry's format.
  const gcrBefore = stack.standIns.pubsub.published(stack.standIns.gcrTopic).length;
  const digests = new Map<number, string>();
  for (const index of pushes) {
    const image = buildImage([await makeLayer({ 'app.txt': `chaos ${seed} image ${index}` })]);
    digests.set(index, await pusher.pushImage(`demo-project/apps/chaos-${index}`, image, 'v1'));
  }
  await stack.standIns.pushesSettled();
  const announced = stack.standIns.pubsub.published(stack.standIns.gcrTopic).slice(gcrBefore);
  for (const index of pushes) {
    const digest = digests.get(index) as string;
    const message = announced.find((m) => m.data.toString('utf8').includes(`/apps/chaos-${index}@${digest}`));
    if (!message) throw new Error(`push of chaos-${index} was not announced on the gcr topic`);
    requests.push({
      index,
      kind: 'push',
      expectedJobId: jobIdFor(
        'push',
        pushIdempotencyKey('apps', `us-central1-docker.pkg.dev/demo-project/apps/chaos-${index}`, digest),
      ),
      send: (s) =>
        s.deliver(
          'onImagePush',
          { data: message.data, attributes: message.attributes, messageId: message.messageId },
          index % 2 === 0 ? 'push' : 'binary',
        ),
    });
  }
  return requests.sort((a, b) => a.index - b.index);
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One line per number, for the test log and the bench. */
export function formatChaos(result: ChaosResult): string {
  return [
    `delivery chaos: N=${result.n} seed=${result.seed} (push ${result.byKind.push}, pubsub ${result.byKind.pubsub}, webhook ${result.byKind.webhook})`,
    `  deliveries ${result.deliveries} (${result.duplicates} duplicates), attempts ${result.attempts}, retries ${result.retries}`,
    `  non-2xx answers ${JSON.stringify(result.failures)}; CreateJob RPCs ${result.createJobCalls} (${result.createJobCalls - result.jobs} beyond one per job: retries after injected faults and racing duplicates), GetJob RPCs ${result.getJobCalls}`,
    `  jobs ${result.jobs}, distinct ${result.distinctJobIds}, unexpected ${result.unexpectedJobIds.length}, missing ${result.missingJobIds.length}`,
    `  job.launched events ${result.launchedEvents}, distinct ce-ids ${result.distinctLaunchedIds}, missing ${result.missingLaunchedIds.length}; request.rejected ${result.rejectedEvents} (${result.distinctRejectedIds} distinct) for ${result.conflictPairs} conflicting twins`,
    `  lost ${result.lost}, duration ${result.durationMs} ms`,
  ].join('\n');
}
