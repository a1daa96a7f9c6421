import { StreamgateError } from './errors.js';
import {
  DEFAULT_PLATFORM,
  formatPlatform,
  normalisePlatform,
  parsePlatform,
  type Platform,
} from './platform.js';

/**
 * Which platform a job's VMs run. A Compute Engine machine type is `FAMILY-…` (`t2a-standard-4`,
 * `c4a-highmem-8-lssd`); the family decides the CPU architecture.
 */

/** A Compute Engine machine series whose VMs have Arm CPUs. */
export interface ArmMachineFamily {
  /** The machine type prefix, before the first `-`. */
  family: string;
  series: string;
  processor: string;
}

/**
 * The Arm machine series of Compute Engine, from Google's public docs: "Arm VMs on Compute Engine"
 * (https://cloud.google.com/compute/docs/instances/arm-on-compute) and the machine families
 * resource guide (https://cloud.google.com/compute/docs/machine-resource). Every other family is
 * x86 (linux/amd64). A new Arm series needs a row here, or its jobs are judged as amd64.
 */
export const ARM_MACHINE_FAMILIES: readonly ArmMachineFamily[] = Object.freeze([
  { family: 't2a', series: 'Tau T2A', processor: 'Ampere Altra' },
  { family: 'c4a', series: 'C4A', processor: 'Google Axion' },
  { family: 'n4a', series: 'N4A', processor: 'Google Axion' },
  { family: 'a4x', series: 'A4X (and A4X Max)', processor: 'NVIDIA Grace' },
]);

export const ARM_PLATFORM: Platform = Object.freeze({ os: 'linux', architecture: 'arm64' });

/**
 * The family of a machine type: its first `-`-separated part.
 *
 * @example machineFamilyOf('c4a-standard-8') // 'c4a'
 */
export function machineFamilyOf(machineType: string): string {
  return machineType.split('-', 1)[0] ?? machineType;
}

/**
 * The platform a machine type's VMs run: linux/arm64 for the Arm families, linux/amd64 otherwise.
 *
 * @example platformOfMachineType('t2a-standard-1') // { os: 'linux', architecture: 'arm64' }
 */
export function platformOfMachineType(machineType: string): Platform {
  const family = machineFamilyOf(machineType);
  return ARM_MACHINE_FAMILIES.some((row) => row.family === family) ? ARM_PLATFORM : DEFAULT_PLATFORM;
}

/** What decides a job's platform: the request's `platform` and `machineType` (defaults applied). */
export interface PlatformChoice {
  platform?: string | undefined;
  machineType?: string | undefined;
}

/**
 * The platform a job's VMs run, which every image is judged against: the request's `platform`
 * when it sets one, else its machine type's, else `configPlatform` (config `platform`).
 *
 * @example jobPlatform({ machineType: 'c4a-standard-4' }, 'linux/amd64') // { os: 'linux', architecture: 'arm64' }
 * @throws StreamgateError INVALID_REQUEST when the request's platform contradicts its machine type.
 */
export function jobPlatform(choice: PlatformChoice, configPlatform: string): Platform {
  const requested = checkRequestPlatform(choice);
  if (requested !== undefined) return requested;
  if (choice.machineType !== undefined) return platformOfMachineType(choice.machineType);
  return parsePlatform(configPlatform);
}

/**
 * Checks a request's `platform` against its machine type; returns the parsed platform (or
 * undefined when the request sets none). Batch VMs run Linux; the architecture must be the machine
 * type's; an arm64 platform needs an Arm machine type, since Batch only runs a job on Arm when the
 * job names an Arm machine type. The variant is the requester's to claim.
 *
 * @example checkRequestPlatform({ platform: 'linux/arm64', machineType: 'n2-standard-4' }) // throws INVALID_REQUEST
 */
export function checkRequestPlatform(choice: PlatformChoice): Platform | undefined {
  if (choice.platform === undefined) return undefined;
  const platform = parsePlatform(choice.platform);
  const wanted = normalisePlatform(platform);
  const machine = choice.machineType === undefined ? undefined : platformOfMachineType(choice.machineType);
  let why: string | undefined;
  if (wanted.os !== 'linux') {
    why = `Batch VMs run Linux, not ${wanted.os}`;
  } else if (!['amd64', 'arm64'].includes(wanted.architecture)) {
    why = `Batch machines are amd64 or arm64, not ${wanted.architecture}`;
  } else if (machine !== undefined && wanted.architecture !== machine.architecture) {
    why = `machineType ${choice.machineType} runs ${formatPlatform(machine)}, not ${wanted.architecture}`;
  } else if (machine === undefined && wanted.architecture === ARM_PLATFORM.architecture) {
    why = `without a machineType Batch chooses an x86 machine; set machineType to an Arm family (${armFamilyList()})`;
  }
  if (why === undefined) return platform;
  const issue = `platform: ${formatPlatform(platform)} cannot run: ${why}`;
  throw new StreamgateError('INVALID_REQUEST', `Invalid job request: ${issue}.`, {
    kind: 'permanent',
    details: { issues: [issue] },
  });
}

/** `t2a, c4a, n4a or a4x`. */
export function armFamilyList(): string {
  const names = ARM_MACHINE_FAMILIES.map((row) => row.family);
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1) ?? ''}`;
}
