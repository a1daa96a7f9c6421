import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPubSubNotifier } from '../../../infra/local/batch/notifier.js';
import type { PubSubNotifier } from '../../../infra/local/batch/notifier.js';
import { FAST, jobSpec, PARENT, startHarness, waitFor } from './helpers.js';
import type { Harness } from './helpers.js';

interface Published {
  topic: string;
  data: Buffer;
  attributes: Record<string, string>;
}

/**
 * The smallest Pub/Sub Publisher that the real client can publish to: only `Publish`, from the
 * protos inside @google-cloud/pubsub. The full Pub/Sub stand-in lives in infra/local/pubsub.
 */
async function startPublisher(received: Published[]): Promise<{ port: number; close(): void }> {
  const require = createRequire(import.meta.url);
  const root = path.dirname(require.resolve('@google-cloud/pubsub/package.json'));
  const gax = path.resolve(
    path.dirname(createRequire(path.join(root, 'package.json')).resolve('google-gax')),
    '..',
    'protos',
  );
  const protos = path.join(root, 'build', 'protos');
  const definition = protoLoader.loadSync(path.join(protos, 'google', 'pubsub', 'v1', 'pubsub.proto'), {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [protos, gax],
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    google: { pubsub: { v1: { Publisher: grpc.ServiceClientConstructor } } };
  };
  const service = pkg.google.pubsub.v1.Publisher.service;
  const server = new grpc.Server();
  let next = 1;
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(service)) {
    handlers[method] = (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
      callback({ code: grpc.status.UNIMPLEMENTED, details: method });
  }
  handlers.Publish = (
    call: grpc.ServerUnaryCall<
      { topic: string; messages: { data: Buffer; attributes: Record<string, string> }[] },
      unknown
    >,
    callback: grpc.sendUnaryData<unknown>,
  ) => {
    const ids: string[] = [];
    for (const m of call.request.messages) {
      received.push({ topic: call.request.topic, data: Buffer.from(m.data), attributes: m.attributes });
      ids.push(String(next++));
    }
    callback(null, { messageIds: ids });
  };
  server.addService(service, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { port, close: () => server.forceShutdown() };
}

describe('createPubSubNotifier', () => {
  const received: Published[] = [];
  let publisher: { port: number; close(): void };
  let notifier: PubSubNotifier;
  let h: Harness;
  beforeAll(async () => {
    publisher = await startPublisher(received);
    notifier = createPubSubNotifier(`127.0.0.1:${publisher.port}`);
    h = await startHarness({ timings: FAST, notify: notifier.notify });
  });
  afterAll(async () => {
    await h.close();
    await notifier.close();
    publisher.close();
  });

  it('publishes the job-state messages through the real Pub/Sub client', async () => {
    const topic = 'projects/demo-project/topics/batch-state';
    const [job] = await h.client.createJob({
      parent: PARENT,
      jobId: 'via-pubsub',
      job: jobSpec(['exit 2'], {
        notifications: [{ pubsubTopic: topic, message: { type: 'JOB_STATE_CHANGED' } }],
      }),
    });
    const final = await waitFor(() => received.find((m) => m.attributes.NewJobState === 'FAILED'));
    await h.standIn.notificationsIdle();
    expect(received.map((m) => m.attributes.NewJobState)).toEqual([
      'QUEUED',
      'SCHEDULED',
      'RUNNING',
      'FAILED',
    ]);
    expect(final.topic).toBe(topic);
    expect(final.attributes.JobUID).toBe(job.uid);
    expect(final.attributes.JobName).toBe('projects/123456789012/locations/us-central1/jobs/via-pubsub');
    expect(final.data.toString()).toContain('previousState=RUNNING, currentState=FAILED, timestamp=');
  });
});
