/**
 * Resident memory of a process group, read from /proc (Linux): the processes that serve a local
 * function (its host and, from source, tsx's esbuild service).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';

const MiB = 1024;

/** The pids whose process group is `pgid`. */
export async function groupMembers(pgid: number): Promise<number[]> {
  const members: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command name (which may hold spaces): state, ppid, pgrp, …
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    if (pgrp === pgid) members.push(Number(entry));
  }
  return members;
}

/** Sum over `pids` of VmRSS (now) and VmHWM (peak since start or the last reset), in KiB. */
export async function memoryOf(pids: readonly number[]): Promise<{ rssKiB: number; hwmKiB: number }> {
  let rssKiB = 0;
  let hwmKiB = 0;
  for (const pid of pids) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    rssKiB += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    hwmKiB += Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  }
  return { rssKiB, hwmKiB };
}

/** Resets VmHWM to the current VmRSS (`clear_refs` 5); false where the kernel refuses. */
export async function resetPeaks(pids: readonly number[]): Promise<boolean> {
  try {
    for (const pid of pids) await writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export interface RssSampler {
  /** Stops sampling; resolves with the highest summed VmRSS seen, in KiB. */
  stop(): Promise<number>;
}

/**
 * Samples the group's summed VmRSS every `everyMs` until stopped (membership refreshed each
 * second), for a peak that does not depend on VmHWM.
 *
 * @example
 *   const sampler = sampleGroupRss(child.pid); await attack(); const peakKiB = await sampler.stop();
 */
export function sampleGroupRss(pgid: number, everyMs = 20): RssSampler {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    let members = await groupMembers(pgid);
    let refreshed = Date.now();
    // At least one sample, however soon stop() comes.
    do {
      if (Date.now() - refreshed > 1_000) {
        members = await groupMembers(pgid);
        refreshed = Date.now();
      }
      peak = Math.max(peak, (await memoryOf(members)).rssKiB);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    } while (running);
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}

/** KiB to MiB with one decimal, for reports. */
export function mib(kib: number): string {
  return (kib / MiB).toFixed(1);
}
