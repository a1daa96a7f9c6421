import { describe, expect, it } from 'vitest';
import { StreamgateError } from '../../../shared/core/errors.js';
import {
  ARM_MACHINE_FAMILIES,
  checkRequestPlatform,
  jobPlatform,
  machineFamilyOf,
  platformOfMachineType,
} from '../../../shared/core/machine-families.js';
import {
  DEFAULT_PLATFORM,
  normalisePlatform,
  parsePlatform,
  platformMatches,
} from '../../../shared/core/platform.js';

const p = (text: string) => parsePlatform(text);
const ARM64 = { os: 'linux', architecture: 'arm64' };

describe('platformMatches (containerd conventions)', () => {
  it('normalises as containerd does: x86_64/aarch64 names, base variants, case', () => {
    expect(normalisePlatform(p('Linux/x86_64/v1'))).toEqual(DEFAULT_PLATFORM);
    expect(normalisePlatform(p('linux/aarch64/8'))).toEqual(ARM64);
    expect(normalisePlatform(p('linux/arm64/v8.0'))).toEqual(ARM64);
    expect(normalisePlatform(p('linux/arm64/9.0'))).toEqual({ ...ARM64, variant: 'v9' });
    expect(normalisePlatform(p('linux/armhf'))).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
  });

  // Each row: image (index entry or config) platform, the job's platform, does the job run it.
  const rows: Array<[string, string, boolean]> = [
    ['linux/arm64/v8', 'linux/arm64', true],
    ['linux/arm64', 'linux/arm64/v8', true],
    ['linux/arm64/v8.2', 'linux/arm64', false], // an Armv8.0 machine lacks v8.2 instructions
    ['linux/arm64/v8.2', 'linux/arm64/v8.4', true],
    ['linux/arm64/v9', 'linux/arm64', false],
    ['linux/arm64', 'linux/arm64/v9', true],
    ['linux/arm64/v8.6', 'linux/arm64/v9.1', true], // v9.1 includes v8.6
    ['linux/arm64/v8.7', 'linux/arm64/v9.1', false],
    ['linux/amd64', 'linux/amd64', true],
    ['linux/amd64/v1', 'linux/amd64', true],
    ['linux/amd64/v2', 'linux/amd64', false], // a variant-less amd64 job is the v1 baseline
    ['linux/amd64/v2', 'linux/amd64/v3', true],
    ['linux/amd64/v3', 'linux/amd64/v2', false],
    ['linux/arm64', 'linux/amd64', false],
    ['linux/amd64', 'linux/arm64', false],
    ['windows/amd64', 'linux/amd64', false],
    // containerd would fall back to these; Batch machines need not run them.
    ['linux/386', 'linux/amd64', false],
    ['linux/arm/v7', 'linux/arm64', false],
  ];
  it.each(rows)('an image for %s on a %s machine: %s', (image, job, runs) => {
    expect(platformMatches(p(image), p(job))).toBe(runs);
  });
});

describe('the Arm machine family table', () => {
  it('lists at least Tau T2A and Axion C4A, each family once, with its series', () => {
    const families = ARM_MACHINE_FAMILIES.map((row) => row.family);
    expect(families).toEqual(expect.arrayContaining(['t2a', 'c4a']));
    expect(new Set(families).size).toBe(families.length);
    for (const row of ARM_MACHINE_FAMILIES) {
      expect(row.family).toMatch(/^[a-z][a-z0-9]*$/);
      expect(row.series.length).toBeGreaterThan(0);
    }
  });

  it.each([
    ['t2a-standard-1', 'linux/arm64'],
    ['c4a-highcpu-8', 'linux/arm64'],
    ['c4a-standard-4-lssd', 'linux/arm64'],
    ['n4a-standard-2', 'linux/arm64'],
    ['a4x-highgpu-4g', 'linux/arm64'],
    ['t2d-standard-1', 'linux/amd64'], // AMD, despite the T2 series name
    ['n2-standard-4', 'linux/amd64'],
    ['e2-micro', 'linux/amd64'],
    ['custom-4-8192', 'linux/amd64'],
    ['c4-standard-8', 'linux/amd64'],
  ])('%s runs %s', (machineType, platform) => {
    expect(platformOfMachineType(machineType)).toEqual(p(platform));
  });

  it('takes the family from the first part of the machine type only', () => {
    expect(machineFamilyOf('c4a-highmem-8')).toBe('c4a');
    expect(machineFamilyOf('n2-custom-t2a-4')).toBe('n2');
    expect(platformOfMachineType('n2-custom-t2a-4')).toEqual(DEFAULT_PLATFORM);
  });
});

describe('jobPlatform: which platform a job runs', () => {
  it('follows the machine type, else config platform', () => {
    expect(jobPlatform({ machineType: 't2a-standard-2' }, 'linux/amd64')).toEqual(ARM64);
    expect(jobPlatform({ machineType: 'n2-standard-2' }, 'linux/arm64')).toEqual(DEFAULT_PLATFORM);
    expect(jobPlatform({}, 'linux/amd64')).toEqual(DEFAULT_PLATFORM);
    expect(jobPlatform({}, 'linux/arm64/v8')).toEqual({ ...ARM64, variant: 'v8' });
  });

  it('takes the request platform when it agrees with the machine type, variant included', () => {
    expect(jobPlatform({ platform: 'linux/arm64/v9', machineType: 'c4a-standard-4' }, 'linux/amd64')).toEqual(
      { ...ARM64, variant: 'v9' },
    );
    expect(jobPlatform({ platform: 'linux/amd64/v3', machineType: 'n2-standard-4' }, 'linux/amd64')).toEqual({
      os: 'linux',
      architecture: 'amd64',
      variant: 'v3',
    });
    expect(jobPlatform({ platform: 'linux/amd64' }, 'linux/arm64')).toEqual(DEFAULT_PLATFORM);
  });

  function refusal(platform: string, machineType?: string): string {
    try {
      checkRequestPlatform({ platform, machineType });
    } catch (error) {
      expect(error).toBeInstanceOf(StreamgateError);
      const e = error as StreamgateError;
      expect(e.code).toBe('INVALID_REQUEST');
      expect(e.kind).toBe('permanent');
      expect(e.details.issues).toEqual([expect.stringMatching(/^platform: /)]);
      return e.message;
    }
    throw new Error(`expected ${platform} on ${machineType ?? 'no machine type'} to be refused`);
  }

  it('refuses a platform that contradicts the machine type, and says why', () => {
    expect(refusal('linux/arm64', 'n2-standard-4')).toMatch(
      /platform: linux\/arm64 cannot run: machineType n2-standard-4 runs linux\/amd64, not arm64/,
    );
    expect(refusal('linux/amd64', 't2a-standard-1')).toMatch(/machineType t2a-standard-1 runs linux\/arm64/);
    expect(refusal('windows/amd64', 'n2-standard-4')).toMatch(/Batch VMs run Linux, not windows/);
    expect(refusal('linux/s390x', 'n2-standard-4')).toMatch(/amd64 or arm64, not s390x/);
  });

  it('refuses arm64 without a machine type: Batch would choose an x86 machine', () => {
    expect(refusal('linux/arm64')).toMatch(/without a machineType Batch chooses an x86 machine.*t2a.*c4a/);
    expect(() => jobPlatform({ platform: 'linux/aarch64' }, 'linux/amd64')).toThrow(/x86 machine/);
    expect(checkRequestPlatform({ platform: 'linux/amd64' })).toEqual(DEFAULT_PLATFORM);
    expect(checkRequestPlatform({})).toBeUndefined();
  });
});
