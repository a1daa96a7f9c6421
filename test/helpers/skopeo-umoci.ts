/**
 * Debian's skopeo (1.9) and umoci (0.4) as a test tier: umoci builds OCI layout images, skopeo
 * pushes, inspects, lists and deletes them in a registry, the way a user's own tools would.
 * Registries here are plain HTTP on 127.0.0.1, so every call turns TLS verification off.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256Digest } from '../../infra/local/registry/storage.js';

/** `STREAMGATE_<NAME>_BIN`, else the first `name` on PATH, else `/usr/bin/<name>` (reported missing). */
function findBinary(name: string): string {
  const override = process.env[`STREAMGATE_${name.toUpperCase()}_BIN`];
  if (override) return override;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return `/usr/bin/${name}`;
}

const SKOPEO_BINARY = findBinary('skopeo');
const UMOCI_BINARY = findBinary('umoci');

/** Runs umoci (bounded in time). */
export function umoci(
  args: readonly string[],
  timeoutMs?: number,
): Promise<{ stdout: string; stderr: string }> {
  return runTool(UMOCI_BINARY, args, timeoutMs === undefined ? {} : { timeoutMs });
}

/** Which of the two tools are installed. */
function skopeoUmociMissing(): string[] {
  return [SKOPEO_BINARY, UMOCI_BINARY].filter((binary) => !existsSync(binary));
}

/** A tool's failed run: its arguments, exit code and output, for the test's failure message. */
class ToolFailed extends Error {
  constructor(
    readonly binary: string,
    readonly args: readonly string[],
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${binary} ${args.join(' ')} failed:\n${stderr || stdout}`);
  }
}

/** Runs a binary with a bound on time; rejects with `ToolFailed` on a non-zero exit. */
function runTool(
  binary: string,
  args: readonly string[],
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      [...args],
      {
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, ...options.env },
      },
      (error, stdout, stderr) => {
        if (error) reject(new ToolFailed(binary, args, String(stdout), String(stderr)));
        else resolve({ stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Registry credentials as Artifact Registry takes them: `oauth2accesstoken:<access token>`. */
export interface SkopeoAuth {
  accessToken: string;
}

function creds(flag: '--creds' | '--dest-creds', auth: SkopeoAuth | undefined): string[] {
  if (!auth) return [flag === '--creds' ? '--no-creds' : '--dest-no-creds'];
  return [flag, `oauth2accesstoken:${auth.accessToken}`];
}

/**
 * Runs skopeo with no policy file or auth file of the machine's (the host's `~/.docker` or
 * `/etc/containers` must not change a test's outcome).
 *
 * @example
 *   await skopeo(['list-tags', '--tls-verify=false', '--no-creds', 'docker://127.0.0.1:5000/p/r/app']);
 */
function skopeo(args: readonly string[], timeoutMs?: number): Promise<{ stdout: string; stderr: string }> {
  return runTool(SKOPEO_BINARY, ['--insecure-policy', ...args], {
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    env: { REGISTRY_AUTH_FILE: join(tmpdir(), 'streamgate-skopeo-no-auth.json') },
  });
}

/**
 * `skopeo copy` from a local source (e.g. `oci:DIR:TAG`) to `docker://HOST/NAME:TAG` or `@DIGEST`.
 * `all` copies every platform of an index (`--all`); without it skopeo picks its own platform.
 *
 * @example
 *   await skopeoCopy(image.ref, `docker://${host}/demo-project/apps/web:v1`, { auth, all: true });
 */
export async function skopeoCopy(
  source: string,
  destination: string,
  options: { auth?: SkopeoAuth; all?: boolean } = {},
): Promise<void> {
  await skopeo([
    'copy',
    '--dest-tls-verify=false',
    ...creds('--dest-creds', options.auth),
    ...(options.all ? ['--all'] : []),
    source,
    destination,
  ]);
}

/**
 * `skopeo copy` from a plain-HTTP registry (`docker://…`) into a local layout (`oci:DIR:TAG`), one
 * platform (`arch`) or all. `gzip` recompresses every layer to gzip on the way (umoci 0.4 cannot
 * unpack zstd); the files the layers hold are unchanged, so the unpacked tree is the same.
 *
 * @example
 *   await skopeoPull('docker://127.0.0.1:5000/p/r/app:v1', `oci:${dir}:v1`, { gzip: true });
 */
export async function skopeoPull(
  source: string,
  destination: string,
  options: { arch?: string; gzip?: boolean } = {},
): Promise<void> {
  await skopeo([
    ...(options.arch === undefined ? [] : ['--override-arch', options.arch, '--override-os', 'linux']),
    'copy',
    '--src-tls-verify=false',
    '--src-no-creds',
    ...(options.gzip ? ['--dest-compress', '--dest-compress-format', 'gzip'] : []),
    source,
    destination,
  ]);
}

/** `skopeo inspect` of a `docker://` reference: the manifest (`raw`) or skopeo's summary, parsed. */
export async function skopeoInspect(
  reference: string,
  options: { auth?: SkopeoAuth; raw?: boolean } = {},
): Promise<unknown> {
  const { stdout } = await skopeo([
    'inspect',
    '--tls-verify=false',
    ...creds('--creds', options.auth),
    ...(options.raw ? ['--raw'] : []),
    reference,
  ]);
  return JSON.parse(stdout) as unknown;
}

/** `skopeo list-tags` of a `docker://HOST/NAME` repository: its tags. */
export async function skopeoListTags(
  repository: string,
  options: { auth?: SkopeoAuth } = {},
): Promise<string[]> {
  const { stdout } = await skopeo([
    'list-tags',
    '--tls-verify=false',
    ...creds('--creds', options.auth),
    repository,
  ]);
  return (JSON.parse(stdout) as { Tags: string[] }).Tags;
}

/** `skopeo delete` of a `docker://` reference (skopeo resolves a tag and deletes by digest). */
export async function skopeoDelete(reference: string, options: { auth?: SkopeoAuth } = {}): Promise<void> {
  await skopeo(['delete', '--tls-verify=false', ...creds('--creds', options.auth), reference]);
}

/** A scratch OCI layout directory; `remove()` deletes it. */
export interface OciLayout {
  dir: string;
  remove(): Promise<void>;
}

/** Creates an empty OCI layout with `umoci init`. */
export async function newOciLayout(): Promise<OciLayout> {
  const parent = await mkdtemp(join(tmpdir(), 'streamgate-umoci-'));
  const dir = join(parent, 'layout');
  await runTool(UMOCI_BINARY, ['init', '--layout', dir]);
  return { dir, remove: () => rm(parent, { recursive: true, force: true }) };
}

export interface UmociImageOptions {
  /** Files to put in one layer: image path → content. Default one `/hello.txt`. */
  files?: Record<string, string>;
  os?: string;
  /** Default `amd64`. */
  architecture?: string;
  entrypoint?: string;
}

/** An image in a layout: skopeo's `oci:` reference and the manifest's digest. */
export interface LayoutImage {
  ref: string;
  tag: string;
  manifestDigest: string;
}

/**
 * Builds a one-layer image tagged `tag` in `layout` with `umoci new`, `insert` and `config`.
 *
 * @example
 *   const image = await buildUmociImage(layout, 'v1', { architecture: 'arm64' });
 *   await skopeoCopy(image.ref, 'docker://127.0.0.1:5000/p/r/app:v1');
 */
export async function buildUmociImage(
  layout: OciLayout,
  tag: string,
  options: UmociImageOptions = {},
): Promise<LayoutImage> {
  const image = `${layout.dir}:${tag}`;
  await runTool(UMOCI_BINARY, ['new', '--image', image]);
  const files = options.files ?? { '/hello.txt': `hello from ${tag}\n` };
  const scratch = await mkdtemp(join(tmpdir(), 'streamgate-umoci-file-'));
  try {
    for (const [target, content] of Object.entries(files)) {
      const source = join(scratch, `f${Object.keys(files).indexOf(target)}`);
      await writeFile(source, content);
      await runTool(UMOCI_BINARY, ['insert', '--image', image, source, target]);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  await runTool(UMOCI_BINARY, [
    'config',
    '--image',
    image,
    '--os',
    options.os ?? 'linux',
    '--architecture',
    options.architecture ?? 'amd64',
    ...(options.entrypoint ? ['--config.entrypoint', options.entrypoint] : []),
  ]);
  return { ref: `oci:${image}`, tag, manifestDigest: (await layoutDescriptor(layout, tag)).digest };
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

const REF_NAME = 'org.opencontainers.image.ref.name';

async function readIndex(layout: OciLayout): Promise<{ schemaVersion: 2; manifests: Descriptor[] }> {
  return JSON.parse(await readFile(join(layout.dir, 'index.json'), 'utf8')) as {
    schemaVersion: 2;
    manifests: Descriptor[];
  };
}

async function layoutDescriptor(layout: OciLayout, tag: string): Promise<Descriptor> {
  const found = (await readIndex(layout)).manifests.find((d) => d.annotations?.[REF_NAME] === tag);
  if (!found) throw new Error(`no ${tag} in ${layout.dir}`);
  return found;
}

async function readBlob(layout: OciLayout, digest: string): Promise<Buffer> {
  return readFile(join(layout.dir, 'blobs', 'sha256', digest.slice('sha256:'.length)));
}

/**
 * Adds a multi-platform OCI image index tagged `tag` over images already in the layout (umoci
 * builds single images only), each entry's platform read from that image's config.
 *
 * @example
 *   await buildUmociImage(layout, 'amd', {}); await buildUmociImage(layout, 'arm', { architecture: 'arm64' });
 *   const index = await addOciIndex(layout, 'v1', ['amd', 'arm']);
 *   await skopeoCopy(index.ref, 'docker://…/app:v1', { all: true });
 */
export async function addOciIndex(
  layout: OciLayout,
  tag: string,
  childTags: readonly string[],
): Promise<LayoutImage> {
  const manifests: Descriptor[] = [];
  for (const child of childTags) {
    const { mediaType, digest, size } = await layoutDescriptor(layout, child);
    const manifest = JSON.parse((await readBlob(layout, digest)).toString('utf8')) as {
      config: { digest: string };
    };
    const config = JSON.parse((await readBlob(layout, manifest.config.digest)).toString('utf8')) as {
      os: string;
      architecture: string;
      variant?: string;
    };
    const platform = {
      os: config.os,
      architecture: config.architecture,
      ...(config.variant ? { variant: config.variant } : {}),
    };
    manifests.push({ mediaType, digest, size, platform });
  }
  const body = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
  );
  const digest = sha256Digest(body);
  await writeFile(join(layout.dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), body);
  const index = await readIndex(layout);
  index.manifests = index.manifests.filter((d) => d.annotations?.[REF_NAME] !== tag);
  index.manifests.push({
    mediaType: 'application/vnd.oci.image.index.v1+json',
    digest,
    size: body.byteLength,
    annotations: { [REF_NAME]: tag },
  });
  await writeFile(join(layout.dir, 'index.json'), JSON.stringify(index));
  return { ref: `oci:${layout.dir}:${tag}`, tag, manifestDigest: digest };
}

/**
 * A test tier that needs skopeo and umoci (Debian packages). Where either is missing it is
 * skipped loudly (a banner and a SKIPPED title); with `CI=true` a missing tool fails the run,
 * because `.ci/run` installs both and a quiet skip would hide a broken install step.
 *
 * @example
 *   describeSkopeoUmociTier('skopeo and umoci against the registry stand-in', () => { … });
 */
export function describeSkopeoUmociTier(title: string, body: () => void): void {
  const missing = skopeoUmociMissing();
  const inCi = process.env.CI === 'true';
  if (missing.length > 0 && !inCi) {
    console.warn(
      [
        '',
        '################################################################################',
        `#  SKIPPING "${title}": ${missing.join(' and ')} missing.`,
        '#  Install Debian\'s "skopeo" and "umoci" packages to run it (CI installs them).',
        '################################################################################',
        '',
      ].join('\n'),
    );
  }
  describe(`${title}: skopeo and umoci availability`, () => {
    it(`${SKOPEO_BINARY} and ${UMOCI_BINARY} are installed, or this is not CI`, () => {
      expect(missing.length === 0 || !inCi).toBe(true);
    });
  });
  describe.skipIf(missing.length > 0)(
    missing.length === 0 ? title : `SKIPPED: ${title} (${missing.join(', ')} not installed)`,
    body,
  );
}
