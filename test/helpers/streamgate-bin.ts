/**
 * Runs `bin/streamgate` as a user would, against a registry reached through
 * STREAMGATE_REGISTRY_OVERRIDES and with no Google credentials or stand-in endpoints in reach.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HOST = 'us-central1-docker.pkg.dev';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BinRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `bin/streamgate ...args` with `us-central1-docker.pkg.dev` served by `registryUrl`. */
export function runStreamgateBin(args: string[], registryUrl: string): Promise<BinRun> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    STREAMGATE_REGISTRY_OVERRIDES: `${HOST}=${registryUrl}`,
    METADATA_SERVER_DETECTION: 'none',
    GOOGLE_APPLICATION_CREDENTIALS: '',
  };
  delete env.ARTIFACT_REGISTRY_API_ENDPOINT;
  delete env.SERVICE_USAGE_API_ENDPOINT;
  delete env.STREAMGATE_LOG_LEVEL;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/streamgate', ...args],
      { cwd: ROOT, env, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
