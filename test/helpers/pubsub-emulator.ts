/**
 * Finds and starts Google's own Pub/Sub emulator (google-cloud-cli-pubsub-emulator), so contract
 * tests can check the stand-in against the real thing when it is installed. Finding is synchronous
 * so that `describe.skipIf(!findPubSubEmulator())` can decide at collection time.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const LAUNCHER = path.join('platform', 'pubsub-emulator', 'bin', 'cloud-pubsub-emulator');
const DEFAULT_SDK_ROOTS = [
  '/usr/lib/google-cloud-sdk',
  '/usr/share/google-cloud-sdk',
  '/opt/google-cloud-sdk',
];

export type EmulatorLauncher =
  | { kind: 'launcher'; command: string; description: string }
  | { kind: 'gcloud'; command: string; description: string };

export interface RunningEmulator {
  /** `127.0.0.1:PORT` */
  address: string;
  port: number;
  /** Kills the emulator's whole process group (the launcher script and its JVM). */
  close(): Promise<void>;
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function gcloudSdkRoot(gcloud: string): string | undefined {
  try {
    const out = execFileSync(gcloud, ['info', '--format=value(installation.sdk_root)'], {
      encoding: 'utf8',
      timeout: 20_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}

let memo: EmulatorLauncher | null | undefined;

/**
 * The emulator launcher, or `undefined` when it is not installed, Java is missing or
 * `STREAMGATE_NO_PUBSUB_EMULATOR=1` is set. Prefers the
 * `cloud-pubsub-emulator` launcher inside google-cloud-cli's install folder; falls back to
 * `gcloud beta emulators pubsub start` when gcloud is on PATH and the component is present.
 */
export function findPubSubEmulator(): EmulatorLauncher | undefined {
  if (memo !== undefined) return memo ?? undefined;
  memo = null;
  // Lets a developer force the skip path (and check that it is loud).
  if (process.env.STREAMGATE_NO_PUBSUB_EMULATOR === '1') return undefined;
  if (!onPath('java')) return undefined;
  const gcloud = onPath('gcloud');
  const roots = [...DEFAULT_SDK_ROOTS];
  // /usr/bin/gcloud is usually a symlink to <sdk_root>/bin/gcloud.
  if (gcloud) roots.push(path.dirname(path.dirname(realpathSync(gcloud))));
  const launcherIn = (root: string): string | undefined =>
    existsSync(path.join(root, LAUNCHER)) ? path.join(root, LAUNCHER) : undefined;
  let launcher = roots.map(launcherIn).find(Boolean);
  if (!launcher && gcloud) {
    // Slow (it starts Python), so only asked when the usual places have nothing.
    const reported = gcloudSdkRoot(gcloud);
    if (reported) {
      roots.push(reported);
      launcher = launcherIn(reported);
    }
  }
  if (launcher) {
    memo = { kind: 'launcher', command: launcher, description: launcher };
    return memo;
  }
  if (gcloud && roots.some((root) => existsSync(path.join(root, 'platform', 'pubsub-emulator')))) {
    memo = { kind: 'gcloud', command: gcloud, description: `${gcloud} beta emulators pubsub start` };
    return memo;
  }
  return undefined;
}

/** A free TCP port on 127.0.0.1 (the emulator cannot be told to pick one itself). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Starts the emulator on a free port and resolves once it logs that it is listening.
 *
 * @example
 *   const found = findPubSubEmulator();
 *   const emulator = found && (await startPubSubEmulator(found));
 *   // new PubSub({ apiEndpoint: emulator.address, projectId: 'demo-project' })
 *   await emulator?.close();
 */
export async function startPubSubEmulator(
  launcher: EmulatorLauncher,
  startTimeoutMs = 60_000,
): Promise<RunningEmulator> {
  const port = await freePort();
  const args =
    launcher.kind === 'launcher'
      ? [`--host=127.0.0.1`, `--port=${port}`]
      : ['beta', 'emulators', 'pubsub', 'start', `--host-port=127.0.0.1:${port}`, '--quiet'];
  // Own process group, so close() can stop the launcher and the JVM it starts.
  const child = spawn(launcher.command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];

  const close = async (): Promise<void> => {
    killGroup(child, 'SIGTERM');
    if (!(await waitForExit(child, 5_000))) {
      killGroup(child, 'SIGKILL');
      await waitForExit(child, 5_000);
    }
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`Pub/Sub emulator did not start within ${startTimeoutMs} ms:\n${tail.join('')}`)),
        startTimeoutMs,
      );
      const onOutput = (chunk: Buffer): void => {
        const text = chunk.toString();
        tail.push(text);
        if (tail.length > 50) tail.shift();
        if (/Server started, listening on/.test(text)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onOutput);
      child.stderr?.on('data', onOutput);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Pub/Sub emulator exited with ${code}:\n${tail.join('')}`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  } catch (error) {
    await close();
    throw error;
  }
  // Keep draining output so the pipes never fill up and block the JVM.
  child.stdout?.resume();
  child.stderr?.resume();
  return { address: `127.0.0.1:${port}`, port, close };
}
