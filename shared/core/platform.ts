import { StreamgateError } from './errors.js';

/** The OS and CPU a job's VMs run, matched against index entries. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Batch VMs are linux/amd64 unless a job asks for Arm machines. */
export const DEFAULT_PLATFORM: Platform = Object.freeze({ os: 'linux', architecture: 'amd64' });

const PART = /^[a-z0-9._-]+$/i;

/**
 * Parses `os/arch[/variant]`.
 *
 * @example parsePlatform('linux/arm64/v8') // { os: 'linux', architecture: 'arm64', variant: 'v8' }
 * @throws StreamgateError INVALID_REQUEST for anything else.
 */
export function parsePlatform(text: string): Platform {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || !parts.every((part) => PART.test(part))) {
    throw new StreamgateError(
      'INVALID_REQUEST',
      `Platform ${JSON.stringify(text)} is not os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8.`,
      { kind: 'permanent', details: { platform: text } },
    );
  }
  const [os = '', architecture = '', variant] = parts;
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/** `os/arch[/variant]`. */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter((p) => p !== undefined).join('/');
}

/**
 * True when an index entry's platform serves the wanted one. A missing variant on either side
 * matches; arm64's implied variant is v8 (as containerd normalises it).
 */
export function platformMatches(entry: Platform, wanted: Platform): boolean {
  if (entry.os !== wanted.os || entry.architecture !== wanted.architecture) return false;
  if (entry.variant === undefined || wanted.variant === undefined) return true;
  return normaliseVariant(entry) === normaliseVariant(wanted);
}

function normaliseVariant(platform: Platform): string | undefined {
  return platform.architecture === 'arm64' && platform.variant === undefined ? 'v8' : platform.variant;
}
