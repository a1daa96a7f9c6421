import { readFile as fsReadFile } from 'node:fs/promises';
import { parseConfig, type StreamgateConfig } from '../core/config.js';
import { StreamgateError } from '../core/errors.js';
import { readEnv } from './env.js';

/**
 * Loads `streamgate.config.json` once per process: inline JSON from `STREAMGATE_CONFIG_JSON`
 * (deployments) wins over the file named by `STREAMGATE_CONFIG` (default
 * `./streamgate.config.json`). A bad config throws `CONFIG_INVALID` listing every issue.
 */

export const DEFAULT_CONFIG_PATH = './streamgate.config.json';

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  readFile?: (path: string) => Promise<string>;
}

let cached: { source: string; config: Promise<StreamgateConfig> } | undefined;

/**
 * @example
 *   const config = await loadConfig();                        // cold start
 *   const config = await loadConfig({ env: { STREAMGATE_CONFIG: 'test/fixtures/config.json' } });
 */
export function loadConfig(options: LoadConfigOptions = {}): Promise<StreamgateConfig> {
  const env = options.env ?? process.env;
  const inline = readEnv('STREAMGATE_CONFIG_JSON', env);
  const path = readEnv('STREAMGATE_CONFIG', env) ?? DEFAULT_CONFIG_PATH;
  const repair = readEnv('STREAMGATE_REPAIR_REPOSITORIES', env);
  const source = `${inline !== undefined ? `inline:${inline}` : `file:${path}`}\nrepair:${repair ?? ''}`;
  if (cached?.source === source) return cached.config;
  const config = (
    inline !== undefined
      ? Promise.resolve().then(() => parseConfigText(inline, 'STREAMGATE_CONFIG_JSON'))
      : readConfigFile(path, options.readFile ?? ((p) => fsReadFile(p, 'utf8')))
  ).then((loaded) => withRepairRepositories(loaded, repair));
  cached = { source, config };
  // A failed load is not cached: the next call (e.g. after fixing the file) tries again.
  config.catch(() => {
    if (cached?.config === config) cached = undefined;
  });
  return config;
}

/**
 * Adds the repositories of `STREAMGATE_REPAIR_REPOSITORIES` (comma-separated HOST/PROJECT/REPOSITORY,
 * set by Terraform from `repair_repositories`, where the functions may write) to the config's own.
 *
 * @example withRepairRepositories(config, 'us-central1-docker.pkg.dev/p/apps').repairRepositories
 */
function withRepairRepositories(config: StreamgateConfig, list: string | undefined): StreamgateConfig {
  const extra = (list ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (extra.length === 0) return config;
  const repairRepositories = [...new Set([...config.repairRepositories, ...extra])];
  return parseConfig({ ...config, repairRepositories }, 'config with STREAMGATE_REPAIR_REPOSITORIES');
}

/** Forgets the memoized config (tests). */
export function resetConfigCache(): void {
  cached = undefined;
}

/** Parses and validates config text; `origin` names the file or variable in error messages. */
export function parseConfigText(text: string, origin: string): StreamgateConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new StreamgateError('CONFIG_INVALID', `Config ${origin} is not valid JSON: ${reason}`, {
      kind: 'permanent',
      cause,
      details: { origin },
    });
  }
  return parseConfig(json, `config ${origin}`);
}

async function readConfigFile(
  path: string,
  read: (path: string) => Promise<string>,
): Promise<StreamgateConfig> {
  let text: string;
  try {
    text = await read(path);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new StreamgateError('CONFIG_INVALID', `Cannot read config file ${path}: ${reason}`, {
      kind: 'permanent',
      cause,
      details: { origin: path },
    });
  }
  return parseConfigText(text, path);
}

/** The shortest webhook key accepted: RFC 2104 advises HMAC keys no shorter than the hash output (32 bytes for SHA-256). */
export const MIN_WEBHOOK_KEY_BYTES = 32;

/**
 * The webhook HMAC keys from `STREAMGATE_WEBHOOK_SECRETS` (comma-separated, trimmed, empties
 * dropped). Several keys allow rotation. A key shorter than {@link MIN_WEBHOOK_KEY_BYTES} (UTF-8
 * bytes) throws `CONFIG_INVALID` naming the key by its position, never by its value.
 *
 * @example
 *   loadWebhookSecrets({ STREAMGATE_WEBHOOK_SECRETS: `${newKey},${oldKey}` }); // [newKey, oldKey]
 */
export function loadWebhookSecrets(env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = readEnv('STREAMGATE_WEBHOOK_SECRETS', env);
  if (raw === undefined) return [];
  const keys = raw
    .split(',')
    .map((secret) => secret.trim())
    .filter((secret) => secret !== '');
  const short = keys.flatMap((key, index) =>
    Buffer.byteLength(key, 'utf8') < MIN_WEBHOOK_KEY_BYTES ? [index + 1] : [],
  );
  if (short.length > 0) {
    const which = short.map((position) => `key ${position} of ${keys.length}`).join(', ');
    throw new StreamgateError(
      'CONFIG_INVALID',
      `STREAMGATE_WEBHOOK_SECRETS: ${which} ${short.length === 1 ? 'is' : 'are'} shorter than ${MIN_WEBHOOK_KEY_BYTES} bytes. ` +
        'Use a random key, e.g. `openssl rand -hex 32`.',
      { kind: 'permanent', details: { origin: 'STREAMGATE_WEBHOOK_SECRETS', shortKeys: short } },
    );
  }
  return keys;
}
