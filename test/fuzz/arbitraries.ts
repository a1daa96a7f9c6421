/**
 * fast-check arbitraries for the fuzz tests: random junk, and MUTATIONS of real inputs (the corpus
 * manifests and events, valid JobRequests, Batch notifications). Mutating real inputs reaches deep
 * code paths that random JSON never gets past the first schema check to see.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CORPUS_DIR = path.resolve(REPO_ROOT, 'test/fixtures/corpus');

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface CorpusFile {
  name: string;
  value: Json;
}

function readJsonFiles(dir: string): CorpusFile[] {
  const out: CorpusFile[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...readJsonFiles(full));
    else if (entry.endsWith('.json'))
      out.push({
        name: path.relative(CORPUS_DIR, full),
        value: JSON.parse(readFileSync(full, 'utf8')) as Json,
      });
  }
  return out;
}

/** Every manifest of the corpus (`manifests/*.json`, not the image configs). */
export function corpusManifests(): CorpusFile[] {
  return readJsonFiles(path.join(CORPUS_DIR, 'manifests')).filter((f) => !f.name.includes('/configs/'));
}

/** Every event of the corpus (`events/**`): CloudEvents, MessagePublishedData, legacy events. */
export function corpusEvents(): CorpusFile[] {
  return readJsonFiles(path.join(CORPUS_DIR, 'events'));
}

// ---------------------------------------------------------------------------------------------
// Junk values

/** Numbers that break naive code: huge, tiny, negative zero, unsafe integers, floats. */
const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    1e21,
    1e308,
    -1e308,
    5e-324,
    Number.MAX_SAFE_INTEGER + 2,
    2 ** 31,
    2 ** 32,
    2 ** 53,
    0.5,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Strings that break naive code: unicode, control characters, path and format tricks, long runs. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\ud800',
    '\u202e',
    '𝒳',
    '../../etc/passwd',
    '%00',
    '__proto__',
    'constructor',
    'toString',
    'sha256:',
    'sha256:' + 'a'.repeat(64),
    'sha512:' + 'a'.repeat(128),
    'us-central1-docker.pkg.dev/demo-project/apps/x@sha256:' + '0'.repeat(64),
    'gcr.io/p/i:latest',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.docker.distribution.manifest.v2+json',
    'INSERT',
    'DELETE',
    'streamgate/v1',
  ),
  fc
    .tuple(fc.constantFrom('a', 'é', '\u0000', '9', ' '), fc.integer({ min: 1_000, max: 20_000 }))
    .map(([c, n]) => c.repeat(n)),
);

/** Deeply nested arrays/objects (beyond what recursive code may expect). */
const deepNesting: fc.Arbitrary<Json> = fc
  .tuple(fc.integer({ min: 20, max: 200 }), fc.boolean())
  .map(([depth, objects]) => {
    let value: Json = 'bottom';
    for (let i = 0; i < depth; i++) value = objects ? { a: value } : [value];
    return value;
  });

/** Any junk JSON value: random JSON plus the nasty scalars and deep nesting. */
export const junkJson: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
  { weight: 2, arbitrary: nastyString },
  { weight: 2, arbitrary: nastyNumber },
  { weight: 1, arbitrary: fc.constantFrom<Json>(null, true, false, [], {}) },
  { weight: 1, arbitrary: deepNesting },
);

// ---------------------------------------------------------------------------------------------
// JSON mutation

type PathKey = string | number;

/** Every path inside a JSON value (root included), in a stable order. */
function jsonPaths(value: Json, prefix: PathKey[] = [], out: PathKey[][] = []): PathKey[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => jsonPaths(v, [...prefix, i], out));
  else if (value !== null && typeof value === 'object')
    for (const key of Object.keys(value)) jsonPaths(value[key] as Json, [...prefix, key], out);
  return out;
}

/** Sets an own property, even `__proto__` (as JSON.parse would), never the prototype. */
function defineOwn(target: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function getAt(root: Json, at: PathKey[]): Json {
  let node: Json = root;
  for (const key of at) node = (node as Record<PathKey, Json>)[key] as Json;
  return node;
}

type Mutation =
  | { op: 'replace'; pick: number; value: Json }
  | { op: 'delete'; pick: number }
  | { op: 'add'; pick: number; key: string; value: Json }
  | { op: 'duplicate'; pick: number }
  | { op: 'wrap'; pick: number }
  | { op: 'stringify'; pick: number }
  | { op: 'retype'; pick: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('replace' as const), pick: fc.nat(), value: junkJson }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('add' as const),
      pick: fc.nat(),
      key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'mediaType')),
      value: junkJson,
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('duplicate' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('wrap' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('stringify' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('retype' as const), pick: fc.nat() }) },
);

function retype(value: Json): Json {
  if (typeof value === 'string') return value.length;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 0;
  if (value === null) return {};
  if (Array.isArray(value)) return Object.fromEntries(value.map((v, i) => [String(i), v]));
  return Object.values(value);
}

/** Applies one mutation to a copy of `value` and returns the copy. Pure and deterministic. */
function applyMutation(value: Json, mutation: Mutation): Json {
  const root = structuredClone(value);
  const paths = jsonPaths(root);
  const at = paths[mutation.pick % paths.length] ?? [];
  const parentPath = at.slice(0, -1);
  const key = at[at.length - 1];
  const current = getAt(root, at);
  const replaceWith = (next: Json): Json => {
    if (key === undefined) return next;
    const parent = getAt(root, parentPath) as Record<PathKey, Json>;
    if (Array.isArray(parent)) parent[key as number] = next;
    else defineOwn(parent as Record<string, Json>, String(key), next);
    return root;
  };
  switch (mutation.op) {
    case 'replace':
      return replaceWith(mutation.value);
    case 'retype':
      return replaceWith(retype(current));
    case 'wrap':
      return replaceWith([current]);
    case 'stringify':
      return replaceWith(JSON.stringify(current));
    case 'delete': {
      if (key === undefined) return null;
      const parent = getAt(root, parentPath);
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete (parent as Record<string, Json>)[String(key)];
      return root;
    }
    case 'add': {
      if (Array.isArray(current)) current.push(mutation.value);
      else if (current !== null && typeof current === 'object')
        defineOwn(current, mutation.key, mutation.value);
      else return replaceWith({ [mutation.key]: current });
      return root;
    }
    case 'duplicate': {
      if (key !== undefined && Array.isArray(getAt(root, parentPath))) {
        (getAt(root, parentPath) as Json[]).splice(key as number, 0, structuredClone(current));
        return root;
      }
      if (Array.isArray(current) && current.length > 0) current.push(structuredClone(current[0] as Json));
      return root;
    }
  }
}

/** `base` with 1–`max` random mutations applied in turn. */
export function mutated(base: Json, max = 4): fc.Arbitrary<Json> {
  return fc
    .array(mutationArb, { minLength: 1, maxLength: max })
    .map((mutations) => mutations.reduce<Json>((v, m) => applyMutation(v, m), base));
}

/** One of the given documents, mutated (or, one time in eight, untouched). */
export function mutatedFrom(files: readonly CorpusFile[], max = 4): fc.Arbitrary<Json> {
  return fc
    .constantFrom(...files)
    .chain((file) =>
      fc.oneof(
        { weight: 7, arbitrary: mutated(file.value, max) },
        { weight: 1, arbitrary: fc.constant(file.value) },
      ),
    );
}

// ---------------------------------------------------------------------------------------------
// Bytes and text bodies

/** Random bytes, sometimes invalid UTF-8, sometimes a JSON-looking prefix with garbage after it. */
export const junkBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 256 }),
  fc.constantFrom(
    new Uint8Array([0xff, 0xfe, 0xfd]),
    new Uint8Array([0xc3]),
    new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
  ),
  fc.string().map((s) => new TextEncoder().encode(`{"apiVersion":"streamgate/v1"${s}`)),
);

// ---------------------------------------------------------------------------------------------
// JobRequests

export const REQUEST_IMAGE = 'us-central1-docker.pkg.dev/demo-project/apps/web:1.0';

const labelKey = fc
  .stringMatching(/^[a-z][a-z0-9_-]{0,10}$/)
  .filter((k) => !/^(goog-|google-|streamgate-)/.test(k));
const envName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/);
const token = fc.stringMatching(/^[\x21-\x7e]{1,40}$/);

/** A JobRequest v1 that the schema accepts (policy and registry may still refuse it). */
export function validJobRequest(image: fc.Arbitrary<string> = fc.constant(REQUEST_IMAGE)) {
  return fc
    .record(
      {
        apiVersion: fc.constant('streamgate/v1'),
        image,
        idempotencyKey: token,
        correlationId: token,
        streaming: fc.constantFrom('auto', 'require', 'off'),
        region: fc.constantFrom('us-central1', 'europe-west1'),
        container: fc.record(
          {
            commands: fc.array(fc.string({ maxLength: 20 }), { maxLength: 4 }),
            entrypoint: fc.string({ maxLength: 20 }),
            volumes: fc.array(fc.string({ minLength: 1, maxLength: 20 }), { maxLength: 2 }),
          },
          { requiredKeys: [] },
        ),
        environment: fc.dictionary(envName, fc.string({ maxLength: 20 }), { maxKeys: 4 }),
        taskCount: fc.integer({ min: 1, max: 4 }),
        machineType: fc.constantFrom('e2-standard-2', 'n2-standard-4'),
        provisioningModel: fc.constantFrom('STANDARD', 'SPOT'),
        cpuMilli: fc.integer({ min: 1, max: 8000 }),
        memoryMib: fc.integer({ min: 1, max: 16000 }),
        maxRunDuration: fc.oneof(
          fc.integer({ min: 1, max: 86_400 }),
          fc.integer({ min: 1, max: 9_999 }).map((n) => `${n}s`),
        ),
        maxRetryCount: fc.integer({ min: 0, max: 10 }),
        labels: fc.dictionary(labelKey, fc.stringMatching(/^[a-z0-9_-]{0,10}$/), { maxKeys: 3 }),
      },
      { requiredKeys: ['apiVersion', 'image'] },
    )
    .map((request) => request as Record<string, Json>);
}

/**
 * A change that makes ANY JobRequest invalid, whatever else it holds: each breaks a rule of the
 * strict schema (unknown field, wrong version, wrong type, out-of-range number, bad syntax).
 */
type Breakage = { field: string; value: Json | undefined };

const breakage: fc.Arbitrary<Breakage> = fc.oneof(
  fc
    .record({ field: fc.constant('apiVersion'), value: fc.oneof(nastyString, nastyNumber) })
    .filter((b) => b.value !== 'streamgate/v1'),
  fc.record({ field: fc.constant('apiVersion'), value: fc.constant(undefined) }),
  fc.record({ field: fc.constant('image'), value: fc.constant(undefined) }),
  fc.record({
    field: fc.constant('image'),
    value: fc.oneof(
      fc.constantFrom<Json>('', ' ', 'a b', 'x\ny', 'x'.repeat(1025), null, 7, [], {}),
      fc.string().map((s) => `${s} ${s}`),
    ),
  }),
  fc.record({
    field: fc.constantFrom('taskCount', 'parallelism', 'cpuMilli', 'memoryMib', 'maxRetryCount'),
    value: fc.constantFrom<Json>(-1, 0.5, 1e21, 1e308, 'three', null, true, [1], {}),
  }),
  fc.record({ field: fc.constant('taskCount'), value: fc.integer({ min: 100_001, max: 2 ** 31 }) }),
  fc.record({ field: fc.constant('maxRetryCount'), value: fc.integer({ min: 11, max: 1_000 }) }),
  fc.record({
    field: fc.constant('streaming'),
    value: fc.constantFrom<Json>('AUTO', 'yes', '', true, 1, null),
  }),
  fc.record({
    field: fc.constant('region'),
    value: fc.constantFrom<Json>('US-CENTRAL1', 'us central1', '', 'x'.repeat(70), 5),
  }),
  fc.record({
    field: fc.constant('maxRunDuration'),
    value: fc.constantFrom<Json>('0s', '10', '10m', -5, 0, 31_536_001, '99999999999s', 1.5),
  }),
  fc.record({
    field: fc.constant('labels'),
    value: fc.constantFrom<Json>({ Team: 'x' }, { 'goog-x': 'y' }, { a: 'UPPER' }, [], 'x'),
  }),
  fc.record({
    field: fc.constant('environment'),
    value: fc.constantFrom<Json>({ '1BAD': 'x' }, { 'A-B': 'x' }, { A: 1 }, [], 'x'),
  }),
  fc.record({
    field: fc.constant('container'),
    value: fc.constantFrom<Json>({ image: 'x' }, { commands: 'ls' }, { commands: [1] }, [], 'x'),
  }),
  fc.record({
    field: fc.constant('idempotencyKey'),
    value: fc.constantFrom<Json>('', 'has space', 'é', 'k'.repeat(257), 5, null),
  }),
  fc.record({
    field: fc.constant('correlationId'),
    value: fc.constantFrom<Json>('', 'tab\there', 'c'.repeat(129), false),
  }),
  fc
    .record({ field: fc.string({ minLength: 1, maxLength: 12 }), value: junkJson })
    .filter((b) => !KNOWN_FIELDS.has(b.field))
    .map((b) => ({ field: b.field, value: b.value ?? 'extra' })),
);

const KNOWN_FIELDS = new Set([
  'apiVersion',
  'image',
  'idempotencyKey',
  'correlationId',
  'streaming',
  'region',
  'container',
  'environment',
  'taskCount',
  'parallelism',
  'machineType',
  'provisioningModel',
  'cpuMilli',
  'memoryMib',
  'maxRunDuration',
  'maxRetryCount',
  'labels',
]);

/** Applies a breakage: `undefined` removes the field (for required ones). */
function breakRequest(request: Record<string, Json>, broken: Breakage): Record<string, Json> {
  const copy = structuredClone(request);
  if (broken.value === undefined) delete copy[broken.field];
  else defineOwn(copy, broken.field, broken.value);
  return copy;
}

/** A JobRequest that is invalid BY CONSTRUCTION: a valid one plus one breakage (and maybe noise). */
export function invalidJobRequest(image?: fc.Arbitrary<string>): fc.Arbitrary<Record<string, Json>> {
  return fc.tuple(validJobRequest(image), breakage).map(([request, broken]) => breakRequest(request, broken));
}

// ---------------------------------------------------------------------------------------------
// Batch notifications (docs/platform-facts.md: attributes + a plain-text body)

export interface NotificationParts {
  attributes: Record<string, string>;
  text: string;
}

const JOB_STATES = [
  'QUEUED',
  'SCHEDULED',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'DELETION_IN_PROGRESS',
];

/** A job-level notification in Batch's real format, for a job that may or may not exist. */
export function batchNotification(
  jobIds: fc.Arbitrary<string> = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/),
) {
  return fc
    .record({
      jobId: jobIds,
      previous: fc.constantFrom(...JOB_STATES),
      current: fc.constantFrom(...JOB_STATES),
      region: fc.constantFrom('us-central1', 'europe-west1'),
      withType: fc.boolean(),
      uidSuffix: fc.stringMatching(/^[0-9a-f]{8}$/),
    })
    .map(({ jobId, previous, current, region, withType, uidSuffix }): NotificationParts => {
      const jobName = `projects/123456789012/locations/${region}/jobs/${jobId}`;
      const jobUid = `${jobId.slice(0, 20)}-${uidSuffix}`;
      return {
        attributes: {
          JobName: jobName,
          JobUID: jobUid,
          NewJobState: current,
          Region: region,
          ...(withType ? { Type: 'JOB_STATE_CHANGED' } : {}),
        },
        text:
          `Job state was updated: jobName=${jobName}, jobUID=${jobUid}, previousState=${previous}, ` +
          `currentState=${current}, timestamp=2026-01-01T00:00:00Z`,
      };
    });
}

/** A Batch notification with its attributes and text mutated (dropped, renamed, retyped, junk). */
export function mutatedNotification(): fc.Arbitrary<NotificationParts> {
  return fc
    .tuple(
      batchNotification(),
      fc.array(
        fc.oneof(
          fc.record({
            kind: fc.constant('drop' as const),
            key: fc.constantFrom('JobName', 'JobUID', 'NewJobState', 'Region'),
          }),
          fc.record({
            kind: fc.constant('set' as const),
            key: fc.constantFrom('JobName', 'JobUID', 'NewJobState', 'Region', 'Type', 'OldJobState', ''),
            value: nastyString.map((s) => s.slice(0, 2_000)),
          }),
          fc.record({ kind: fc.constant('text' as const), value: nastyString }),
        ),
        { minLength: 1, maxLength: 3 },
      ),
    )
    .map(([parts, changes]) => {
      const attributes = { ...parts.attributes };
      let text = parts.text;
      for (const change of changes) {
        if (change.kind === 'drop') delete attributes[change.key];
        else if (change.kind === 'set') attributes[change.key] = change.value;
        else text = change.value;
      }
      return { attributes, text };
    });
}
