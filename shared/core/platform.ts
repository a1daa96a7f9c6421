import { StreamgateError } from './errors.js';

/** The OS and CPU a job's VMs run, matched against index entries and image configs. */
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
      `Platform ${JSON.stringify(text.slice(0, 64))} is not os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8.`,
      { kind: 'permanent', details: { platform: text.slice(0, 64) } },
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
 * The canonical form containerd's `platforms.Normalize` gives: lower case, `x86_64`/`aarch64`
 * spelled `amd64`/`arm64`, and each architecture's base variant (amd64 v1, arm64 v8) left out.
 *
 * @example normalisePlatform({ os: 'Linux', architecture: 'aarch64', variant: 'v8' }) // { os: 'linux', architecture: 'arm64' }
 */
export function normalisePlatform(platform: Platform): Platform {
  const os = platform.os.toLowerCase();
  let architecture = platform.architecture.toLowerCase();
  let variant = platform.variant?.toLowerCase() ?? '';
  switch (architecture) {
    case 'i386':
      architecture = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      architecture = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
    case 'arm64':
      architecture = 'arm64';
      if (['8', 'v8', 'v8.0'].includes(variant)) variant = '';
      if (['9', '9.0', 'v9.0'].includes(variant)) variant = 'v9';
      break;
    case 'armhf':
      architecture = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      architecture = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '' || variant === '7') variant = 'v7';
      if (['5', '6', '8'].includes(variant)) variant = `v${variant}`;
      break;
  }
  return variant === '' ? { os, architecture } : { os, architecture, variant };
}

/**
 * True when a machine of the `wanted` platform runs an image built for `image` (an index entry's
 * platform or an image config's). This is containerd's `platforms.Only(wanted)` within one
 * architecture: both sides are normalised, and the wanted CPU also runs older variants of its own
 * architecture (amd64/v3 runs v2 and v1; arm64/v8.2 runs v8.1 and v8; arm64/v9.x runs v9.0…v9.x
 * and v8.0…v8.(x+5); arm/v7 runs v6 and v5). containerd's fallbacks to another architecture (386
 * on amd64, 32-bit arm on arm64) are left out: not every Batch machine runs them (Axion cores have
 * no 32-bit mode). A variant-less wanted platform is the architecture's base (amd64 v1, arm64 v8).
 *
 * @example platformMatches({ os: 'linux', architecture: 'arm64', variant: 'v8' }, { os: 'linux', architecture: 'arm64' }) // true
 * @example platformMatches({ os: 'linux', architecture: 'amd64', variant: 'v3' }, DEFAULT_PLATFORM) // false
 */
export function platformMatches(image: Platform, wanted: Platform): boolean {
  const have = normalisePlatform(image);
  const want = normalisePlatform(wanted);
  if (have.os !== want.os || have.architecture !== want.architecture) return false;
  if (have.variant === want.variant) return true;
  return runsOlderVariant(want.architecture, have.variant, want.variant);
}

/** Within one architecture: does a `wanted`-variant CPU run an `image`-variant binary? */
function runsOlderVariant(
  architecture: string,
  image: string | undefined,
  wanted: string | undefined,
): boolean {
  switch (architecture) {
    case 'amd64': {
      const have = level(image ?? 'v1');
      const want = level(wanted ?? 'v1');
      return have !== undefined && want !== undefined && have.major <= want.major && have.minor === 0;
    }
    case 'arm64': {
      const have = level(image ?? 'v8');
      const want = level(wanted ?? 'v8');
      if (have === undefined || want === undefined) return false;
      if (have.major === want.major) return have.minor <= want.minor;
      // Armv9.x includes Armv8.(x+5), up to v8.9 (as containerd's platformVector has it).
      return want.major === 9 && have.major === 8 && have.minor <= Math.min(want.minor + 5, 9);
    }
    case 'arm': {
      const have = level(image ?? 'v7');
      const want = level(wanted ?? 'v7');
      return (
        have !== undefined &&
        want !== undefined &&
        have.minor === 0 &&
        have.major >= 5 &&
        have.major <= want.major
      );
    }
    default:
      return false;
  }
}

/** `v8.2` → { major: 8, minor: 2 }; `v9` → { major: 9, minor: 0 }; anything else undefined. */
function level(variant: string): { major: number; minor: number } | undefined {
  const match = /^v(\d{1,2})(?:\.(\d{1,2}))?$/.exec(variant);
  if (match === null) return undefined;
  return { major: Number(match[1]), minor: Number(match[2] ?? 0) };
}
