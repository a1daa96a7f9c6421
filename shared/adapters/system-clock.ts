import type { Clock } from '../core/ports.js';

/** The machine's clock, for the functions and the CLI (tests pass a fixed one). */
export const systemClock: Clock = { now: () => new Date() };
