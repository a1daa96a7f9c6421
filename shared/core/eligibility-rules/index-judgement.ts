import { resolveIndex, type ManifestLookup } from '../index-resolution.js';
import { classifyManifest, type ClassifiedManifest, type IndexClassified } from '../manifest.js';
import { formatPlatform, type Platform } from '../platform.js';
import type { Findings } from './findings.js';
import { applyIndexRules, checkDescriptorMatchesChild } from './index-rules.js';

export interface IndexOutcome {
  /** The chosen child (or, when unresolved, the entry to fetch next). */
  platformDigest?: string;
  /** The chosen child, classified, when it was fetched. */
  child?: ClassifiedManifest;
  /** Media type the parent index declared for the child. */
  declaredChildType?: string;
}

/**
 * Applies the index rules and resolves the platform child: NO_MATCHING_PLATFORM,
 * INDEX_NEEDS_RESOLUTION (child not fetched) or MALFORMED (cycle / too deep).
 */
export function judgeIndex(
  index: IndexClassified,
  rootKey: string,
  lookup: ManifestLookup,
  platform: Platform,
  findings: Findings,
): IndexOutcome {
  applyIndexRules(index, platform, findings);
  const resolution = resolveIndex(rootKey, lookup, platform);
  switch (resolution.status) {
    case 'no-match':
      findings.reason(
        'NO_MATCHING_PLATFORM',
        `The index has no image for ${formatPlatform(platform)}; push a ${formatPlatform(platform)} image into it, or run the job on a machine type whose platform the index has.`,
      );
      return {};
    case 'error':
      findings.reason('MALFORMED', `${resolution.message} Fix the index and push it again.`);
      return {};
    case 'missing': {
      needsResolution(findings);
      const next = resolution.digests[0];
      return next === undefined ? {} : { platformDigest: next };
    }
    case 'resolved': {
      const fetched = lookup(resolution.digest);
      const parentKey = resolution.path[resolution.path.length - 2];
      const parent = parentKey === undefined ? undefined : lookup(parentKey);
      const parentIndex =
        parent === undefined ? undefined : classifyManifest(parent.document, parent.contentType);
      const declaredChildType =
        parentIndex?.kind === 'index'
          ? parentIndex.entries.find((e) => e.digest === resolution.digest)?.mediaType
          : undefined;
      const outcome: IndexOutcome = { platformDigest: resolution.digest };
      if (declaredChildType !== undefined) outcome.declaredChildType = declaredChildType;
      if (fetched === undefined) {
        needsResolution(findings);
        return outcome;
      }
      outcome.child = classifyManifest(fetched.document, fetched.contentType);
      return outcome;
    }
  }
}

/** Warns when the judged child is not what its index entry declared. */
export function applyDescriptorCheck(outcome: IndexOutcome, findings: Findings): void {
  if (outcome.child !== undefined)
    checkDescriptorMatchesChild(outcome.declaredChildType, outcome.child, findings);
}

function needsResolution(findings: Findings): void {
  findings.reason(
    'INDEX_NEEDS_RESOLUTION',
    'This is a multi-platform index and the platform image was not fetched; check the image by reference (`streamgate check IMAGE`) or pass the platform manifest to judge it.',
  );
}
