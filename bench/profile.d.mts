/** Types of bench/profile.mjs (plain JS so `npm run bench` needs no loader). */

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  owners: { owner: string; selfMs: number }[];
  frames: { frame: string; owner: string; selfMs: number }[];
}

export function ownerOf(url: string, functionName?: string): string;
export function summarizeProfile(profile: CpuProfile, options?: { top?: number }): ProfileSummary;
export function formatProfiles(
  profiles: Record<string, { ours: ProfileSummary; floor: ProfileSummary }>,
  options?: { owners?: number; frames?: number },
): string;
