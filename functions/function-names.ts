/** The four functions streamgate deploys, by entry point (functions/index.ts), in port order. */
export const FUNCTION_NAMES = ['onImagePush', 'onJobRequest', 'webhook', 'onJobStateChanged'] as const;

/** One of the four entry points: `--target` / `FUNCTION_TARGET` values the runtime knows. */
export type FunctionName = (typeof FUNCTION_NAMES)[number];
