/**
 * The three images the demo pushes, built on the fly: `hello:eligible` (distinct gzip layers, so
 * Batch can stream it), `hello:dup` (one layer listed twice: DUPLICATE_LAYER) and `repairs/hello:dup`
 * (a duplicated layer again, but where rule `repairs` launches in mode `repair`: the image is
 * repaired and the repaired digest runs with streaming on). A per-run nonce
 * goes into the layer contents, so every run has new digests and launches new jobs (push
 * idempotency is keyed on the digest).
 */
import { buildImage, makeLayer, Pusher, type BuiltImage } from './oci-build.js';

const DEMO_REPOSITORY = 'demo-project/apps/hello';
const REPAIR_REPOSITORY = 'demo-project/repairs/hello';

export interface DemoImage {
  /** Short name used in the demo's summary lines. */
  label: 'hello:eligible' | 'hello:dup' | 'repairs/hello:dup';
  tag: 'eligible' | 'dup';
  /** Default `demo-project/apps/hello`. */
  repository?: string;
  image: BuiltImage;
  /** What streamgate should decide (`repaired`: launched from a repaired digest). */
  expect: { streaming: boolean; reason?: 'DUPLICATE_LAYER'; repaired?: boolean };
}

export interface PushedDemoImage extends DemoImage {
  /** Manifest digest the registry answered. */
  digest: string;
  /** `<registryHost>/demo-project/<apps or repairs>/hello:<tag>` */
  reference: string;
}

/** Builds the three demo images around `nonce`. */
export async function buildDemoImages(nonce: string): Promise<DemoImage[]> {
  const base = await makeLayer({ 'app/hello.txt': `hello from streamgate (${nonce})\n` });
  const run = await makeLayer({ 'app/run.sh': `#!/bin/sh\necho "hello, streamed world (${nonce})"\n` });
  const repeated = await makeLayer({ 'app/dup.txt': `the same layer twice (${nonce})\n` });
  return [
    {
      label: 'hello:eligible',
      tag: 'eligible',
      image: buildImage([base, run], { label: `eligible-${nonce}` }),
      expect: { streaming: true },
    },
    {
      label: 'hello:dup',
      tag: 'dup',
      image: buildImage([repeated, repeated], { label: `dup-${nonce}` }),
      expect: { streaming: false, reason: 'DUPLICATE_LAYER' },
    },
    {
      label: 'repairs/hello:dup',
      tag: 'dup',
      repository: REPAIR_REPOSITORY,
      image: buildImage([repeated, run, repeated], { label: `repair-${nonce}` }),
      expect: { streaming: true, repaired: true },
    },
  ];
}

/**
 * Pushes the images into the registry stand-in as a client does (blob uploads, then a manifest PUT
 * by tag), in order.
 *
 * @example
 *   const pushed = await pushDemoImages(endpoints.registry, endpoints.registryHost, await buildDemoImages('r1'));
 */
export async function pushDemoImages(
  registryUrl: string,
  registryHost: string,
  images: readonly DemoImage[],
): Promise<PushedDemoImage[]> {
  const pusher = new Pusher(registryUrl);
  const pushed: PushedDemoImage[] = [];
  for (const demo of images) {
    const repository = demo.repository ?? DEMO_REPOSITORY;
    const digest = await pusher.pushImage(repository, demo.image, demo.tag);
    pushed.push({ ...demo, digest, reference: `${registryHost}/${repository}:${demo.tag}` });
  }
  return pushed;
}
