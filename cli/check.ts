import { parseCommandArgs } from './args.js';
import { readFile } from 'node:fs/promises';
import { judge, type JudgeInput } from '../shared/core/eligibility.js';
import { isStreamgateError } from '../shared/core/errors.js';
import { parseImageReference } from '../shared/core/image-reference.js';
import { jobPlatform } from '../shared/core/machine-families.js';
import { DEFAULT_PLATFORM, parsePlatform, type Platform } from '../shared/core/platform.js';
import { localStackEnv } from '../infra/local/stack-config.js';
import { checkLive, type LiveCheckDeps } from './check-live.js';
import { EXIT, UsageError, type CliIo } from './io.js';
import { optionalStackValue, readRunningStack } from './local-stack.js';
import { printReport } from './report.js';

const CHECK_HELP = `streamgate check — can Batch stream this image?

Usage:
  streamgate check --manifest FILE [options]   judge a manifest JSON file offline
  streamgate check IMAGE_REF [options]         resolve the image live from its registry, then judge it
  streamgate check --stack [FILE] IMAGE_REF    live, against the running local stack (\`npm start\`)

Options:
  --manifest FILE         manifest (or index) JSON to judge; nothing is fetched
  --platform OS/ARCH[/V]  the job's platform: picked from an index, and the image config must match
                          it (default linux/amd64, or the machine type's)
  --machine-type TYPE     the job's machine type: Arm families (t2a, c4a, n4a, a4x) run linux/arm64,
                          the rest linux/amd64; a --platform that contradicts it is a usage error
  --image-config FILE     with --manifest: the image config blob (JSON), so its os/architecture/variant
                          and rootfs are judged too; without it the offline check cannot judge them
  --image REF             with --manifest: also apply the reference rules (Artifact Registry host,
                          image location vs job region, Batch regions)
  --region R              job region to check against the image's location
  --timeout MS            live check: per-request registry timeout in milliseconds (default 10000);
                          repository facts are waited for at most 2 s
  --stack [FILE]          live check against a running local stack: its registry and Artifact Registry
                          endpoints come from FILE (default .streamgate/local-stack.json, written by
                          \`npm start\`; FILE must end in .json, or use --stack=FILE), no variables needed
  --json                  print exactly one JSON object:
                          {"verdict","reasons":[{code,message}],"warnings":[{code,message}],"platformDigest"?,"jobRegion"?}
  -h, --help              this text

An index judged offline gives verdict needs-resolution, with platformDigest set to the entry that
would be used; fetch that manifest (or use the live check) to judge it.

Exit status: 0 eligible; 1 ineligible or needs-resolution; 2 usage error, unreadable file or non-JSON input.`;

const OPTIONS = {
  manifest: { type: 'string' },
  platform: { type: 'string' },
  'machine-type': { type: 'string' },
  'image-config': { type: 'string' },
  image: { type: 'string' },
  region: { type: 'string' },
  timeout: { type: 'string' },
  stack: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** `streamgate check …`: offline with --manifest, live with a positional image reference. */
export async function runCheck(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('check', {
    args: optionalStackValue(argv),
    options: OPTIONS,
    allowPositionals: true,
  });
  if (values.help) {
    io.out(CHECK_HELP);
    return EXIT.ok;
  }
  const platform = asUsage(() => checkPlatform(values.platform, values['machine-type']));
  if (values.manifest === undefined) {
    const [imageRef, ...extra] = positionals;
    if (imageRef === undefined)
      throw new UsageError('give --manifest FILE or an image reference; run `streamgate check --help`.');
    if (extra.length > 0) throw new UsageError(`expected one image reference, got ${positionals.length}.`);
    return checkLive(
      {
        imageRef,
        platform,
        json: values.json,
        io,
        ...(values.region === undefined ? {} : { region: values.region }),
        ...(values.timeout === undefined ? {} : { timeoutMs: parseTimeout(values.timeout) }),
      },
      values.stack === undefined ? {} : await stackDeps(values.stack),
    );
  }
  if (values.stack !== undefined) throw new UsageError('--stack is for the live check, not --manifest.');
  if (positionals.length > 0)
    throw new UsageError('give either --manifest FILE or an image reference, not both.');
  return checkManifestFile(
    values.manifest,
    {
      platform,
      image: values.image,
      region: values.region,
      json: values.json,
      imageConfig: values['image-config'],
    },
    io,
  );
}

/** The live check's environment from a running stack's endpoints file (`''`: the default file). */
async function stackDeps(file: string): Promise<LiveCheckDeps> {
  const { endpoints } = await readRunningStack(file === '' ? undefined : file);
  // The stack's endpoints win over the caller's variables: --stack asks for that stack.
  return { env: { ...process.env, ...localStackEnv(endpoints) } };
}

/**
 * The platform a check judges against: the job's platform as a launch derives it when a machine
 * type is given, else `--platform` as given (default linux/amd64).
 */
function checkPlatform(platform: string | undefined, machineType: string | undefined): Platform {
  if (machineType !== undefined) return jobPlatform({ platform, machineType }, 'linux/amd64');
  return platform === undefined ? DEFAULT_PLATFORM : parsePlatform(platform);
}

interface OfflineOptions {
  platform: Platform;
  image: string | undefined;
  region: string | undefined;
  json: boolean;
  /** The image config blob file; only then is the config's platform judged offline. */
  imageConfig: string | undefined;
}

async function checkManifestFile(file: string, options: OfflineOptions, io: CliIo): Promise<number> {
  const document = await readJson(file);
  const input: JudgeInput = { manifest: { document }, platform: options.platform };
  if (options.imageConfig !== undefined) input.config = await readJson(options.imageConfig);
  if (options.image !== undefined) {
    const image = options.image;
    input.image = asUsage(() => parseImageReference(image));
    if (image.includes('@')) input.digest = input.image.digest;
  }
  if (options.region !== undefined) input.requestedRegion = options.region;
  return printReport(judge(input), file, options.json, io);
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(`${file} is not JSON.`);
  }
}

/** `--timeout MS`: a whole number of milliseconds, 1 ms to 10 minutes. */
export function parseTimeout(text: string): number {
  const ms = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
  if (!(ms >= 1 && ms <= 600_000))
    throw new UsageError(`--timeout wants milliseconds (1–600000), not "${text}".`);
  return ms;
}

/** Turns a StreamgateError from parsing an argument into a usage error (exit 2). */
function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (isStreamgateError(error)) throw new UsageError(error.message);
    throw error;
  }
}
