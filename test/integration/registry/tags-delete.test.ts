/**
 * The registry stand-in's tag listing (`n`, `last`, `Link`) and manifest/tag DELETE, over HTTP as
 * the OCI Distribution spec words them, with and without Artifact Registry-style token auth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startRegistryStandIn,
  type DeleteNotice,
  type RegistryStandIn,
} from '../../../infra/local/registry/server.js';
import { buildImage, makeLayer, Pusher, type BuiltImage } from '../../helpers/oci-images.js';

const HOST = 'us-central1-docker.pkg.dev';
const NAME = 'demo-project/apps/tags';
const TAGS = ['v1', 'v10', 'v2', 'B', 'a', 'latest'];

async function errorCode(res: Response): Promise<string | undefined> {
  return ((await res.json()) as { errors: { code: string }[] }).errors[0]?.code;
}

describe('registry stand-in: GET /v2/<name>/tags/list', () => {
  let registry: RegistryStandIn;
  const list = (query = '', name = NAME) => fetch(`${registry.url}/v2/${name}/tags/list${query}`);

  beforeAll(async () => {
    registry = await startRegistryStandIn({ port: 0 });
    const image = buildImage([await makeLayer({ 'a.txt': 'tags' })]);
    const pusher = new Pusher(registry.url);
    for (const tag of TAGS) await pusher.pushImage(NAME, image, tag);
  });
  afterAll(async () => registry.close());

  it('lists every tag in byte order (Go sort.Strings), with no Link', async () => {
    const res = await list();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('link')).toBeNull();
    expect(await res.json()).toEqual({ name: NAME, tags: ['B', 'a', 'latest', 'v1', 'v10', 'v2'] });
  });

  it('pages with n, following the Link header until it is gone', async () => {
    const seen: string[][] = [];
    let next: string | null = `${registry.url}/v2/${NAME}/tags/list?n=4`;
    for (let page = 0; next !== null && page < 10; page++) {
      const res: Response = await fetch(next);
      expect(res.status).toBe(200);
      seen.push(((await res.json()) as { tags: string[] }).tags);
      const link = res.headers.get('link');
      const target = link === null ? null : /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
      expect(link === null || target !== undefined).toBe(true);
      next = target ? new URL(target, registry.url).toString() : null;
    }
    expect(seen).toEqual([
      ['B', 'a', 'latest', 'v1'],
      ['v10', 'v2'],
    ]);
  });

  it('puts n and the last tag shown in the Link, as the spec example does', async () => {
    const res = await list('?n=2');
    expect(res.headers.get('link')).toBe(`</v2/${NAME}/tags/list?n=2&last=a>; rel="next"`);
    expect(((await res.json()) as { tags: string[] }).tags).toEqual(['B', 'a']);
  });

  it('starts after last (without n too), and sends no Link on the final page', async () => {
    const afterLatest = await list('?last=latest');
    expect(((await afterLatest.json()) as { tags: string[] }).tags).toEqual(['v1', 'v10', 'v2']);
    const exact = await list('?n=2&last=v1');
    expect(exact.headers.get('link')).toBeNull();
    expect(((await exact.json()) as { tags: string[] }).tags).toEqual(['v10', 'v2']);
    const past = await list('?last=zzz');
    expect(((await past.json()) as { tags: string[] }).tags).toEqual([]);
  });

  it('answers n=0 with an empty list and no Link', async () => {
    const res = await list('?n=0');
    expect(res.status).toBe(200);
    expect(res.headers.get('link')).toBeNull();
    expect(((await res.json()) as { tags: string[] }).tags).toEqual([]);
  });

  it('refuses an n that is not a non-negative integer', async () => {
    for (const n of ['-1', 'two', '1.5', '']) {
      const res = await list(`?n=${n}`);
      expect(res.status, n).toBe(400);
      expect(await errorCode(res)).toBe('PAGINATION_NUMBER_INVALID');
    }
  });

  it('answers 404 NAME_UNKNOWN for a repository it never saw', async () => {
    const res = await list('', 'demo-project/apps/never');
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe('NAME_UNKNOWN');
  });
});

describe('registry stand-in: DELETE /v2/<name>/manifests/<reference>', () => {
  let registry: RegistryStandIn;
  let pusher: Pusher;
  const deletes: DeleteNotice[] = [];
  const manifest = (reference: string, method = 'GET') =>
    fetch(`${registry.url}/v2/${NAME}/manifests/${reference}`, { method });
  const tags = async () =>
    ((await (await fetch(`${registry.url}/v2/${NAME}/tags/list`)).json()) as { tags: string[] }).tags;

  beforeAll(async () => {
    registry = await startRegistryStandIn({ port: 0, onDelete: (n) => deletes.push(n) });
    pusher = new Pusher(registry.url);
  });
  afterAll(async () => registry.close());

  it('deletes a manifest by digest with 202: it and every tag on it are gone, and it is announced', async () => {
    const image = buildImage([await makeLayer({ 'a.txt': 'delete by digest' })]);
    const other = buildImage([await makeLayer({ 'b.txt': 'stays' })]);
    await pusher.pushImage(NAME, image, 'one');
    await pusher.pushImage(NAME, image, 'two');
    await pusher.pushImage(NAME, other, 'keep');
    deletes.length = 0;

    const res = await manifest(image.digest, 'DELETE');
    expect(res.status).toBe(202);
    expect((await manifest(image.digest)).status).toBe(404);
    expect((await manifest('one')).status).toBe(404);
    expect((await manifest('keep')).status).toBe(200);
    expect(await tags()).toEqual(['keep']);
    expect(deletes).toEqual([
      {
        deleted: 'manifest',
        digest: `${HOST}/${NAME}@${image.digest}`,
        tags: [`${HOST}/${NAME}:one`, `${HOST}/${NAME}:two`],
      },
    ]);
    const again = await manifest(image.digest, 'DELETE');
    expect(again.status).toBe(404);
    expect(await errorCode(again)).toBe('MANIFEST_UNKNOWN');
    expect(deletes).toHaveLength(1);
  });

  it('deletes a tag (optional in the spec) and keeps its manifest under its digest', async () => {
    const image: BuiltImage = buildImage([await makeLayer({ 'c.txt': 'untag' })]);
    await pusher.pushImage(NAME, image, 'gone');
    deletes.length = 0;
    expect((await manifest('gone', 'DELETE')).status).toBe(202);
    expect((await manifest('gone')).status).toBe(404);
    expect((await manifest(image.digest)).status).toBe(200);
    expect(deletes).toEqual([
      { deleted: 'tag', digest: `${HOST}/${NAME}@${image.digest}`, tags: [`${HOST}/${NAME}:gone`] },
    ]);
    expect((await manifest('gone', 'DELETE')).status).toBe(404);
  });

  it('answers 404 NAME_UNKNOWN for an unknown repository and 400 for a malformed reference', async () => {
    const unknown = await fetch(`${registry.url}/v2/demo-project/apps/none/manifests/v1`, {
      method: 'DELETE',
    });
    expect(unknown.status).toBe(404);
    expect(await errorCode(unknown)).toBe('NAME_UNKNOWN');
    const bad = await manifest('sha256:nothex', 'DELETE');
    expect(bad.status).toBe(400);
    expect(deletes.some((d) => d.digest.includes('nothex'))).toBe(false);
  });
});

describe('registry stand-in with token auth: DELETE needs the delete scope', () => {
  let registry: RegistryStandIn;
  let image: BuiltImage;
  const token = async (scope: string) => {
    const basic = Buffer.from('oauth2accesstoken:local').toString('base64');
    const res = await fetch(`${registry.url}/v2/token?scope=${encodeURIComponent(scope)}`, {
      headers: { Authorization: `Basic ${basic}` },
    });
    return ((await res.json()) as { token: string }).token;
  };

  beforeAll(async () => {
    registry = await startRegistryStandIn({ port: 0, auth: { accessToken: 'local' } });
    image = buildImage([await makeLayer({ 'd.txt': 'auth' })]);
    await new Pusher(registry.url, { accessToken: 'local' }).pushImage(NAME, image, 'v1');
  });
  afterAll(async () => registry.close());

  it('challenges a pull-only token with scope repository:<name>:delete, and accepts delete or *', async () => {
    const url = `${registry.url}/v2/${NAME}/manifests/${image.digest}`;
    const pullOnly = await fetch(url, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${await token(`repository:${NAME}:pull`)}` },
    });
    expect(pullOnly.status).toBe(401);
    expect(pullOnly.headers.get('www-authenticate')).toContain(`scope="repository:${NAME}:delete"`);

    const listed = await fetch(`${registry.url}/v2/${NAME}/tags/list`, {
      headers: { Authorization: `Bearer ${await token(`repository:${NAME}:pull`)}` },
    });
    expect(((await listed.json()) as { tags: string[] }).tags).toEqual(['v1']);

    const star = await fetch(url, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${await token(`repository:${NAME}:*`)}` },
    });
    expect(star.status).toBe(202);
  });
});
