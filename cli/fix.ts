/**
 * `streamgate fix IMAGE_REF`: repair an image whose only reasons are empty and/or duplicated
 * layers, and push the repaired image to the same repository (shared/pipeline/repair.ts).
 */
import { parseCommandArgs } from './args.js';
import { RegistryLayerInspector } from '../shared/adapters/layers/inspector.js';
import { RegistryClientWriter } from '../shared/adapters/registry/writer.js';
import { reportOutsideArtifactRegistry } from '../shared/core/eligibility.js';
import { isStreamgateError } from '../shared/core/errors.js';
import { parseImageReference, type ImageReference } from '../shared/core/image-reference.js';
import { DEFAULT_PLATFORM, parsePlatform, type Platform } from '../shared/core/platform.js';
import { describeRemoval } from '../shared/core/repair/plan.js';
import { repairImage, type RepairOutcome } from '../shared/pipeline/repair.js';
import { localStackEnv } from '../infra/local/stack-config.js';
import { parseTimeout } from './check.js';
import { EXIT, UsageError, type CliIo } from './io.js';
import { createLiveAdapters, type LiveAdapterOptions } from './live-adapters.js';
import { optionalStackValue, readRunningStack } from './local-stack.js';
import { describeReadFailure } from './read-failure.js';

export const FIX_HELP = `streamgate fix — repair an image Batch cannot stream only because of empty or duplicated layers

Usage:
  streamgate fix IMAGE_REF [--tag TAG] [--platform OS/ARCH[/V]] [--dry-run] [--json] [--stack [FILE]]

It reads the image, and when its only reasons are EMPTY_LAYER and/or DUPLICATE_LAYER it writes a
new image to the same repository: empty layers (downloaded first, to confirm they hold no entry)
and every copy of a duplicated layer but the last are removed; rootfs.diff_ids follows, their
history steps are kept as empty_layer, every other field is kept, and the manifest is annotated
dev.streamgate.repaired-from. Only the new config and manifest are uploaded. Of an index, each child
that needs it is repaired and a new index is written. The original is left as it is.

Options:
  --tag TAG               tag to push (default <tag>-streamable; for a digest, streamable-<12 hex>)
  --platform OS/ARCH[/V]  the platform whose verdict decides (default linux/amd64)
  --dry-run               decide and judge, write nothing
  --timeout MS            per-request registry timeout in milliseconds (default 10000)
  --stack [FILE]          against the running local stack (\`npm start\`), as for check
  --json                  print exactly one object:
                          {"image","digest","repairedDigest"?,"tag"?,"removed":[{digest,index,reason}],
                           "verdict","reasons","warnings"}; repairedDigest and tag only when pushed
  -h, --help              this text

Refused: any other reason (schema 1, foreign layers, another region…), and REPAIR_UNSAFE_HARDLINK
when a layer between two copies hard-links to a path it does not hold itself.

Exit status: 0 repaired, or already eligible (nothing pushed); 1 not repairable (the reasons that
remain are listed); 2 the image cannot be read or written, or a usage error.`;

const OPTIONS = {
  tag: { type: 'string' },
  platform: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  timeout: { type: 'string' },
  stack: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** `streamgate fix …`. */
export async function runFix(argv: string[], io: CliIo, deps: LiveAdapterOptions = {}): Promise<number> {
  const { values, positionals } = parseCommandArgs('fix', {
    args: optionalStackValue(argv),
    options: OPTIONS,
    allowPositionals: true,
  });
  if (values.help) {
    io.out(FIX_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1)
    throw new UsageError('give one image reference; run `streamgate fix --help`.');
  if (values.tag !== undefined && !TAG.test(values.tag))
    throw new UsageError(`--tag "${values.tag}" is not a valid tag.`);
  const image = usage(() => parseImageReference(positionals[0] ?? ''));
  const platform =
    values.platform === undefined ? DEFAULT_PLATFORM : usage(() => parsePlatform(values.platform ?? ''));
  const options: LiveAdapterOptions = {
    ...deps,
    ...(values.stack === undefined ? {} : await stackEnv(values.stack)),
    ...(values.timeout === undefined ? {} : { timeoutMs: parseTimeout(values.timeout) }),
  };
  const subject = positionals[0] ?? '';
  const run = { image, platform, subject, json: values.json, dryRun: values['dry-run'], tag: values.tag };
  return fixLive(run, io, options);
}

interface FixRun {
  image: ImageReference;
  platform: Platform;
  subject: string;
  json: boolean;
  dryRun: boolean;
  tag: string | undefined;
}

async function fixLive(run: FixRun, io: CliIo, options: LiveAdapterOptions): Promise<number> {
  const outside = reportOutsideArtifactRegistry(run.image);
  if (outside) {
    print({ status: 'refused', digest: '', removed: [], ...outside }, run, io);
    return EXIT.ineligible;
  }
  const live = createLiveAdapters(io, options);
  try {
    const outcome = await repairImage(
      {
        images: live.images,
        content: new RegistryClientWriter(live.client),
        writer: new RegistryClientWriter(live.client),
        layers: new RegistryLayerInspector(live.client),
        repositoryFacts: live.repositoryFacts,
      },
      {
        image: run.image,
        platform: run.platform,
        dryRun: run.dryRun,
        ...(run.tag === undefined ? {} : { tag: run.tag }),
        context: { image: run.image },
      },
    );
    print(outcome, run, io);
    return outcome.status === 'refused' ? EXIT.ineligible : EXIT.ok;
  } catch (error) {
    if (!isStreamgateError(error)) throw error;
    io.err(`streamgate: cannot repair ${run.subject}: ${await describeReadFailure(error)}`);
    return EXIT.usage;
  } finally {
    await live.close();
  }
}

/** The `--json` object (see FIX_HELP). */
export interface FixJson {
  image: string;
  digest: string;
  repairedDigest?: string;
  tag?: string;
  removed: { digest: string; index: number; reason: string }[];
  verdict: string;
  reasons: { code: string; message: string }[];
  warnings: { code: string; message: string }[];
}

function print(outcome: RepairOutcome, run: FixRun, io: CliIo): void {
  const pushed = outcome.status === 'repaired' && !run.dryRun;
  const json: FixJson = {
    image: run.subject,
    digest: outcome.digest,
    ...(pushed ? { repairedDigest: outcome.repairedDigest, tag: outcome.tag } : {}),
    removed: outcome.removed.map(({ digest, index, reason }) => ({ digest, index, reason })),
    verdict: outcome.verdict,
    reasons: outcome.reasons.map(({ code, message }) => ({ code, message })),
    warnings: outcome.warnings.map(({ code, message }) => ({ code, message })),
  };
  io.out(run.json ? JSON.stringify(json) : formatFix(outcome, run));
}

function formatFix(outcome: RepairOutcome, run: FixRun): string {
  const lines = [`${run.subject}${outcome.digest === '' ? '' : ` (${outcome.digest})`}`];
  if (outcome.status === 'eligible') lines.push('  already eligible: nothing to repair, nothing pushed.');
  for (const removal of outcome.removed) lines.push(`  removed ${describeRemoval(removal)}`);
  if (outcome.status === 'repaired') {
    const where = `${run.image.host}${run.image.port === undefined ? '' : `:${run.image.port}`}/${run.image.path}`;
    lines.push(
      run.dryRun
        ? `  dry run: would push ${outcome.repairedDigest ?? ''} as ${where}:${outcome.tag ?? ''}`
        : `  pushed ${outcome.repairedDigest ?? ''} as ${where}:${outcome.tag ?? ''}`,
    );
  }
  if (outcome.status === 'refused') lines.push('  not repairable; nothing pushed.');
  lines.push(`  verdict: ${outcome.verdict}`);
  for (const r of outcome.reasons) lines.push(`  reason  ${r.code}: ${r.message}`);
  for (const w of outcome.warnings) lines.push(`  warning ${w.code}: ${w.message}`);
  return lines.join('\n');
}

async function stackEnv(file: string): Promise<{ env: NodeJS.ProcessEnv }> {
  const { endpoints } = await readRunningStack(file === '' ? undefined : file);
  return { env: { ...process.env, ...localStackEnv(endpoints) } };
}

function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (isStreamgateError(error)) throw new UsageError(error.message);
    throw error;
  }
}
