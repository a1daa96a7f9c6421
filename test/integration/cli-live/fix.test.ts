/**
 * `streamgate fix IMAGE_REF` in-process against the registry stand-in with token auth: repairs of
 * duplicate and empty layers, an index, dry runs, determinism, refusals, signatures and failures,
 * checked in what the registry then holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFix, type FixJson } from '../../../cli/fix.js';
import { checkLive } from '../../../cli/check-live.js';
import { startRegistryStandIn, type RegistryStandIn } from '../../../infra/local/registry/server.js';
import { RegistryClient } from '../../../shared/adapters/registry/client.js';
import { DEFAULT_PLATFORM } from '../../../shared/core/platform.js';
import { REPAIRED_FROM_ANNOTATION } from '../../../shared/core/repair/rewrite.js';
import {
  buildImage,
  buildIndex,
  emptyGzipLayer,
  makeLayer,
  Pusher,
  type BuiltImage,
} from '../../helpers/oci-images.js';
import { makeTestLayer } from '../../helpers/tar-layers.js';

const HOST = 'us-central1-docker.pkg.dev';
const ACCESS_TOKEN = 'fix-access-token';
const REPO = 'demo-project/apps';

interface Ran {
  code: number;
  json: FixJson;
  out: string;
  err: string;
}

describe('streamgate fix against the registry stand-in (token auth)', () => {
  let registry: RegistryStandIn;
  let pusher: Pusher;
  const digests: Record<string, string> = {};
  const deps = () => ({
    overrides: new Map([[HOST, registry.url]]),
    accessToken: async () => ACCESS_TOKEN,
    env: {},
  });

  async function fix(args: string[]): Promise<Ran> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runFix([...args], { out: (t) => out.push(t), err: (t) => err.push(t) }, deps());
    const text = out.join('\n');
    return {
      code,
      json: (args.includes('--json') ? JSON.parse(text) : {}) as FixJson,
      out: text,
      err: err.join('\n'),
    };
  }

  const reader = () =>
    new RegistryClient({ overrides: new Map([[HOST, registry.url]]), accessToken: async () => ACCESS_TOKEN });
  const manifestOf = async (name: string, ref: string) => {
    const client = reader();
    const repo = { authority: HOST, name: `${REPO}/${name}` };
    const digest = ref.startsWith('sha256:') ? ref : await client.resolveTag(repo, ref);
    return (await client.getManifest(repo, digest)).document as {
      layers: { digest: string }[];
      manifests: { digest: string; platform: { architecture: string } }[];
      config: { digest: string };
      annotations?: Record<string, string>;
    };
  };

  beforeAll(async () => {
    registry = await startRegistryStandIn({ port: 0, auth: { accessToken: ACCESS_TOKEN } });
    pusher = new Pusher(registry.url, { accessToken: ACCESS_TOKEN });
    const a = await makeLayer({ 'etc/a': 'a' });
    const b = await makeLayer({ 'etc/b': 'b' });
    const push = async (name: string, image: BuiltImage, tag = 'v1') =>
      (digests[name] = await pusher.pushImage(`${REPO}/${name}`, image, tag));
    await push('dup', buildImage([a, b, a], { format: 'oci' }));
    await push('empty', buildImage([emptyGzipLayer(), a, emptyGzipLayer(), b, emptyGzipLayer()]));
    await push('clean', buildImage([a, b]));
    const linkBase = await makeTestLayer([{ type: 'file', path: 'usr/a', content: 'a' }]);
    const link = await makeTestLayer([{ type: 'link', path: 'usr/b', target: 'usr/a' }]);
    await push('hardlink', buildImage([linkBase, link, linkBase], { format: 'oci' }));
    const amd = buildImage([a, b, a], { format: 'oci' });
    const arm = buildImage([a, b], { format: 'oci', architecture: 'arm64' });
    await pusher.pushImage(`${REPO}/multi`, amd);
    await pusher.pushImage(`${REPO}/multi`, arm);
    const index = buildIndex([amd, arm], 'oci');
    digests.multi = await pusher.pushManifest(`${REPO}/multi`, index.manifest, index.mediaType, 'v1');
    digests.multiArm = arm.digest;
  });
  afterAll(async () => registry?.close());

  it('repairs A B A: drops the earlier copy, pushes <tag>-streamable, and the result checks eligible', async () => {
    const uploadsBefore = registry.log.filter((l) =>
      l.startsWith('POST /v2/demo-project/apps/dup/blobs/uploads'),
    ).length;
    const ran = await fix([`${HOST}/${REPO}/dup:v1`, '--json']);
    expect(ran.code).toBe(0);
    expect(ran.json).toMatchObject({
      image: `${HOST}/${REPO}/dup:v1`,
      digest: digests.dup,
      tag: 'v1-streamable',
      verdict: 'eligible',
      reasons: [],
    });
    expect(ran.json.removed).toEqual([{ digest: expect.any(String), index: 0, reason: 'DUPLICATE_LAYER' }]);
    const repaired = await manifestOf('dup', 'v1-streamable');
    expect(ran.json.repairedDigest).toBe(
      await reader().resolveTag({ authority: HOST, name: `${REPO}/dup` }, 'v1-streamable'),
    );
    expect(repaired.layers).toHaveLength(2);
    expect(repaired.annotations?.[REPAIRED_FROM_ANNOTATION]).toBe(digests.dup);
    // Only the config blob was uploaded; the layers are the ones already there.
    const uploads = registry.log.filter((l) =>
      l.startsWith('POST /v2/demo-project/apps/dup/blobs/uploads'),
    ).length;
    expect(uploads - uploadsBefore).toBe(1);
    // The original is untouched.
    expect(await reader().resolveTag({ authority: HOST, name: `${REPO}/dup` }, 'v1')).toBe(digests.dup);
    const out: string[] = [];
    const checked = await checkLive(
      {
        imageRef: `${HOST}/${REPO}/dup:v1-streamable`,
        platform: DEFAULT_PLATFORM,
        json: true,
        io: { out: (t) => out.push(t), err: () => undefined },
      },
      deps(),
    );
    expect(checked).toBe(0);
    expect(JSON.parse(out.join('')).verdict).toBe('eligible');
  });

  it('is deterministic: repairing the same digest again gives the same repaired digest', async () => {
    const first = await fix([`${HOST}/${REPO}/dup@${digests.dup}`, '--json', '--tag', 'again']);
    const second = await fix([`${HOST}/${REPO}/dup:v1`, '--json', '--dry-run']);
    expect(first.code).toBe(0);
    expect(first.json.tag).toBe('again');
    expect(first.json.repairedDigest).toBe(
      await reader().resolveTag({ authority: HOST, name: `${REPO}/dup` }, 'v1-streamable'),
    );
    expect(second.json.repairedDigest).toBeUndefined();
    expect(second.out).not.toContain('repairedDigest');
  });

  it('removes empty layers at the start, the middle and the end', async () => {
    const ran = await fix([`${HOST}/${REPO}/empty:v1`, '--json']);
    expect(ran.code).toBe(0);
    expect(ran.json.removed.map((r) => [r.index, r.reason])).toEqual([
      [0, 'EMPTY_LAYER'],
      [2, 'EMPTY_LAYER'],
      [4, 'EMPTY_LAYER'],
    ]);
    expect((await manifestOf('empty', 'v1-streamable')).layers).toHaveLength(2);
  });

  it('repairs the child of an index that needs it and writes a new index', async () => {
    const ran = await fix([`${HOST}/${REPO}/multi:v1`, '--json']);
    expect(ran.code).toBe(0);
    const index = await manifestOf('multi', 'v1-streamable');
    expect(index.annotations?.[REPAIRED_FROM_ANNOTATION]).toBe(digests.multi);
    const arm = index.manifests.find((m) => m.platform.architecture === 'arm64');
    expect(arm?.digest).toBe(digests.multiArm);
    const amd = index.manifests.find((m) => m.platform.architecture === 'amd64');
    expect((await manifestOf('multi', amd?.digest ?? '')).layers).toHaveLength(2);
  });

  it('leaves an eligible image alone (exit 0, nothing pushed)', async () => {
    const ran = await fix([`${HOST}/${REPO}/clean:v1`, '--json']);
    expect(ran.code).toBe(0);
    expect(ran.json).toMatchObject({ verdict: 'eligible', removed: [] });
    expect(ran.json.repairedDigest).toBeUndefined();
    expect(await reader().manifestExists({ authority: HOST, name: `${REPO}/clean` }, 'v1-streamable')).toBe(
      false,
    );
  });

  it('refuses a hard link between two copies (exit 1, REPAIR_UNSAFE_HARDLINK, nothing pushed)', async () => {
    const ran = await fix([`${HOST}/${REPO}/hardlink:v1`, '--json']);
    expect(ran.code).toBe(1);
    expect(ran.json.reasons.map((r) => r.code)).toEqual(['DUPLICATE_LAYER', 'REPAIR_UNSAFE_HARDLINK']);
    expect(
      await reader().manifestExists({ authority: HOST, name: `${REPO}/hardlink` }, 'v1-streamable'),
    ).toBe(false);
  });

  it('says that a signed image loses its signature', async () => {
    const sig = buildImage([await makeLayer({ sig: 'x' })], { format: 'oci' });
    await pusher.pushImage(`${REPO}/dup`, sig, `${digests.dup?.replace(':', '-')}.sig`);
    const ran = await fix([`${HOST}/${REPO}/dup:v1`, '--dry-run']);
    expect(ran.code).toBe(0);
    expect(ran.out).toContain('REPAIRED_IMAGE_UNSIGNED');
    expect(ran.out).toContain('dry run: would push');
  });

  it('refuses images outside Artifact Registry (exit 1) and fails on unreadable ones (exit 2)', async () => {
    expect((await fix(['docker.io/library/nginx:1', '--json'])).json.reasons.map((r) => r.code)).toEqual([
      'NOT_ARTIFACT_REGISTRY',
    ]);
    const missing = await fix([`${HOST}/${REPO}/nothing:v1`]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('cannot repair');
  });

  it('rejects bad usage with exit 2', async () => {
    await expect(fix([])).rejects.toThrow(/one image reference/);
    await expect(fix([`${HOST}/${REPO}/dup:v1`, '--tag', 'bad tag'])).rejects.toThrow(/not a valid tag/);
  });
});
