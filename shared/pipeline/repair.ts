/**
 * Repair instead of refuse: an image whose only reasons are EMPTY_LAYER and/or DUPLICATE_LAYER is
 * rewritten without those layers (after reading them: see core/repair/plan.ts for why that is
 * safe), judged again, and pushed to its own repository by digest and by tag. Only the new config
 * blobs and manifests are uploaded; the layer blobs are the ones already there.
 */
import { judge, judgeRead, type EligibilityReport, type JudgeInput } from '../core/eligibility.js';
import type { ImageReference } from '../core/image-reference.js';
import type { FetchedManifest } from '../core/manifest.js';
import type {
  ImageContent,
  ImageResolver,
  LayerInspector,
  RegistryWriter,
  RepositoryFactsSource,
} from '../core/ports.js';
import type { Platform } from '../core/platform.js';
import type { LayerRemoval } from '../core/repair/plan.js';
import { rewriteImage, rewriteIndex, type Blob } from '../core/repair/rewrite.js';
import type { Finding, ReasonCode, WarningCode } from '../core/reason-codes.js';
import { repairTargets, type RepairTarget } from './repair-targets.js';

/** The reasons a repair can remove; any other reason leaves the image as it is. */
export const REPAIRABLE_REASONS: readonly string[] = ['EMPTY_LAYER', 'DUPLICATE_LAYER'];

export interface RepairDeps {
  images: ImageResolver;
  content: ImageContent;
  layers: LayerInspector;
  writer: RegistryWriter;
  /** When given, the repository facts join the judge's input (as `check` does). */
  repositoryFacts?: RepositoryFactsSource;
}

export interface RepairRequest {
  image: ImageReference;
  platform: Platform;
  /** The tag to push; default `<tag>-streamable` (see `repairedTag`). */
  tag?: string;
  /** Decide and judge, but write nothing. */
  dryRun?: boolean;
  /** The rest of the judge's input (reference rules, repository facts…), as `check` gives it. */
  context?: Omit<JudgeInput, 'manifest' | 'digest' | 'manifests' | 'config' | 'platform'>;
}

export interface RepairOutcome {
  /** `repaired`: pushed (or would be, with dryRun); `eligible`: nothing to do; `refused`: reasons remain. */
  status: 'repaired' | 'eligible' | 'refused';
  digest: string;
  /** The new root digest, when the repair was decided (pushed unless dryRun). */
  repairedDigest?: string;
  tag?: string;
  removed: LayerRemoval[];
  /** The verdict of the image as it now stands (the repaired one when repaired). */
  verdict: EligibilityReport['verdict'];
  reasons: Finding<ReasonCode>[];
  warnings: Finding<WarningCode>[];
}

/**
 * Repairs one image (every child of an index that needs it).
 *
 * @example
 *   const outcome = await repairImage(deps, { image, platform: DEFAULT_PLATFORM });
 *   if (outcome.status === 'repaired') console.log(outcome.repairedDigest);
 */
export async function repairImage(deps: RepairDeps, request: RepairRequest): Promise<RepairOutcome> {
  const resolved = await deps.images.resolve(request.image, request.platform);
  const repository = await deps.repositoryFacts?.facts(request.image, resolved.digest);
  const context = {
    ...request.context,
    ...(repository === undefined ? {} : { repository }),
    platform: request.platform,
  };
  const before = judgeRead(resolved, context);
  const base = { digest: resolved.digest, removed: [] as LayerRemoval[] };
  if (before.verdict === 'eligible') return { status: 'eligible', ...base, ...findings(before) };
  if (before.reasons.some((r) => !REPAIRABLE_REASONS.includes(r.code))) return refused(base, before);

  const read = await repairTargets(deps, request.image, resolved);
  if ('kind' in read) {
    return {
      status: 'refused',
      ...base,
      verdict: 'ineligible',
      // The image stays as it was judged, and the refusal says why it was not repaired.
      reasons: [...before.reasons, ...read.reasons],
      warnings: before.warnings,
    };
  }
  const rewritten = rewriteAll(resolved.digest, resolved.manifest, read.targets);
  const after = judge({
    manifest: { document: parseBlob(rewritten.root), contentType: rewritten.root.mediaType },
    digest: rewritten.root.digest,
    manifests: new Map([...resolved.manifests, ...rewritten.documents]),
    ...judgedConfig(resolved, rewritten),
    ...context,
  });
  const removed = read.targets.flatMap((t) => t.removals);
  if (after.verdict !== 'eligible') return refused({ ...base, removed }, after);

  const tag = request.tag ?? repairedTag(request.image, resolved.digest);
  const warnings = [
    ...after.warnings,
    ...(await signatureWarning(deps.writer, request.image, resolved.digest)),
  ];
  const outcome: RepairOutcome = {
    status: 'repaired',
    ...base,
    repairedDigest: rewritten.root.digest,
    tag,
    removed,
    ...findings(after),
    warnings,
  };
  if (!request.dryRun) await pushRepaired(deps.writer, request.image, rewritten, tag);
  return outcome;
}

function findings(report: EligibilityReport): Pick<RepairOutcome, 'verdict' | 'reasons' | 'warnings'> {
  return { verdict: report.verdict, reasons: report.reasons, warnings: report.warnings };
}

function refused(base: Pick<RepairOutcome, 'digest' | 'removed'>, report: EligibilityReport): RepairOutcome {
  return { status: 'refused', ...base, ...findings(report) };
}

/** What is written: config blobs, child manifests (of an index), and the root. */
interface Rewritten {
  root: Blob & { mediaType: string };
  configs: Blob[];
  children: (Blob & { mediaType: string })[];
  /** New child documents by digest, and new configs by their manifest's digest (to judge the result). */
  documents: Map<string, FetchedManifest>;
  configDocuments: Map<string, unknown>;
  /** Old child digest → new. */
  renamed: Map<string, string>;
}

function rewriteAll(rootDigest: string, root: FetchedManifest, targets: RepairTarget[]): Rewritten {
  const out: Omit<Rewritten, 'root'> = {
    configs: [],
    children: [],
    documents: new Map(),
    configDocuments: new Map(),
    renamed: new Map(),
  };
  for (const target of targets) {
    const image = rewriteImage(target.document, target.config, target.digest, target.removals);
    out.configs.push(image.config);
    out.children.push({ ...image.manifest, mediaType: target.mediaType });
    out.documents.set(image.manifest.digest, { document: parseBlob(image.manifest) });
    out.configDocuments.set(image.manifest.digest, parseBlob(image.config));
    out.renamed.set(target.digest, image.manifest.digest);
  }
  const self = out.children.find((child) => out.renamed.get(rootDigest) === child.digest);
  if (self !== undefined) return { ...out, root: self, children: [] };
  const index = rewriteIndex(
    root.document as Record<string, unknown>,
    rootDigest,
    new Map(targets.map((t, i) => [t.digest, out.children[i] as Blob])),
  );
  const declared = (root.document as { mediaType?: unknown }).mediaType;
  const mediaType =
    typeof declared === 'string' ? declared : (root.contentType ?? 'application/vnd.oci.image.index.v1+json');
  return { ...out, root: { ...index, mediaType } };
}

function parseBlob(blob: Blob): unknown {
  return JSON.parse(blob.bytes.toString('utf8')) as unknown;
}

/** The config of the manifest the judge looks at: the new one when that manifest was rewritten. */
function judgedConfig(
  resolved: { platformDigest?: string; config?: unknown },
  rewritten: Rewritten,
): { config?: unknown } {
  const judged = resolved.platformDigest;
  const digest = judged === undefined ? rewritten.root.digest : (rewritten.renamed.get(judged) ?? judged);
  const config = rewritten.configDocuments.get(digest) ?? resolved.config;
  return config === undefined ? {} : { config };
}

async function pushRepaired(
  writer: RegistryWriter,
  image: ImageReference,
  rewritten: Rewritten,
  tag: string,
): Promise<void> {
  for (const config of rewritten.configs)
    await writer.putBlob(image, config.digest, new Uint8Array(config.bytes));
  for (const child of rewritten.children)
    await writer.putManifest(image, child.digest, new Uint8Array(child.bytes), child.mediaType);
  const root = new Uint8Array(rewritten.root.bytes);
  await writer.putManifest(image, rewritten.root.digest, root, rewritten.root.mediaType);
  await writer.putManifest(image, tag, root, rewritten.root.mediaType);
}

/** `<tag>-streamable` (the tag cut to fit 128 characters); for a digest reference, `streamable-<12 hex>`. */
export function repairedTag(image: ImageReference, digest: string): string {
  if (image.tag === undefined) return `streamable-${digest.split(':')[1]?.slice(0, 12) ?? ''}`;
  return `${image.tag.slice(0, 128 - '-streamable'.length)}-streamable`;
}

/** A cosign signature (`sha256-<hex>.sig`) of the original does not cover the repaired digest. */
async function signatureWarning(
  writer: RegistryWriter,
  image: ImageReference,
  digest: string,
): Promise<Finding<WarningCode>[]> {
  const tag = `${digest.replace(':', '-')}.sig`;
  if (!(await writer.hasManifest(image, tag))) return [];
  return [
    {
      code: 'REPAIRED_IMAGE_UNSIGNED',
      message: `The original image is signed (${tag}), but the repaired image is a new digest that nothing has signed; sign it if your policy requires signatures.`,
    },
  ];
}
