/**
 * `streamgate submit --request FILE`: signs a JobRequest with scheme v2 and posts it to the
 * webhook, the way `gh api` calls GitHub. Without `--url` it targets the local stack `npm start`
 * runs (`.streamgate/local-stack.json`), and takes that stack's key when no key is in the
 * environment. The key is never printed.
 */
import { parseCommandArgs } from './args.js';
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { fetchWithLimits, type HttpResponse } from '../shared/adapters/registry/http.js';
import { signatureHeader } from '../shared/core/webhook-signature.js';
import { readEndpointsFile } from '../infra/local/stack-config.js';
import { parseTimeout } from './check.js';
import { EXIT, UsageError, type CliIo } from './io.js';
import { defaultStackFile } from './local-stack.js';
import { reportAnswer } from './submit-answer.js';

export const SUBMIT_HELP = `streamgate submit — sign a JobRequest and post it to the webhook

Usage:
  streamgate submit --request FILE [--plan] [--url URL] [--key-env VAR] [--bearer-env VAR]
                    [--json] [--timeout MS]

Options:
  --request FILE   a JobRequest v1 (JSON), sent byte for byte; see schemas/job-request.v1.json
  --plan           POST /jobs:plan: answer what would be launched, create nothing
  --url URL        the webhook's base URL (e.g. the function URL); default: the running local
                   stack in .streamgate/local-stack.json (\`npm start\`)
  --stack FILE     another local stack endpoints file
  --key-env VAR    environment variable holding the key (default STREAMGATE_WEBHOOK_SECRET; a
                   comma list signs with its first key); the local stack's key when unset
  --bearer-env VAR also send Authorization: Bearer $VAR, e.g. an identity token for a webhook that
                   is not public (ID_TOKEN=$(gcloud auth print-identity-token))
  --timeout MS     give up on the answer after MS milliseconds (default 30000)
  --json           print the webhook's JSON answer exactly, on stdout
  -h, --help       this text

Without "idempotencyKey" in the request, the webhook derives the key from the signature: a
replay of the same signed request finds the same job, but a new submit is a new request.

Exit status: 0 the webhook accepted (2xx); 1 it refused the request (4xx; the problem's code and
message on stderr); 2 usage error, unreadable file, missing key, network error or 5xx.`;

const OPTIONS = {
  request: { type: 'string' },
  plan: { type: 'boolean', default: false },
  url: { type: 'string' },
  stack: { type: 'string' },
  'key-env': { type: 'string', default: 'STREAMGATE_WEBHOOK_SECRET' },
  'bearer-env': { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** The largest `webhook.maxBodyBytes` a config may set: a bigger file can never be accepted. */
const MAX_REQUEST_BYTES = 1_048_576;
const MAX_ANSWER_BYTES = 1_048_576;
const DEFAULT_TIMEOUT_MS = 30_000;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const BaseUrlSchema = z.url({ protocol: /^https?$/ });

interface Target {
  /** The webhook's base URL, without a trailing slash. */
  base: string;
  key: string;
  /** Sent as `Authorization: Bearer …` when set. */
  bearer?: string;
}

/**
 * `streamgate submit …`. Returns the exit status.
 *
 * @example
 *   await runSubmit(['--request', 'req.json', '--plan', '--json'], io)
 */
export async function runSubmit(
  argv: string[],
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const { values } = parseCommandArgs('submit', { args: argv, options: OPTIONS, allowPositionals: false });
  if (values.help) {
    io.out(SUBMIT_HELP);
    return EXIT.ok;
  }
  if (values.request === undefined)
    throw new UsageError('give --request FILE; run `streamgate submit --help`.');
  if (!ENV_NAME.test(values['key-env']))
    throw new UsageError(`--key-env wants an environment variable name, not "${values['key-env']}".`);
  const timeoutMs = values.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseTimeout(values.timeout);
  const bearer = bearerToken(values['bearer-env'], env);
  const body = await readRequestFile(values.request);
  const target = { ...(await resolveTarget(values, env)), ...(bearer === undefined ? {} : { bearer }) };
  const path = values.plan ? '/jobs:plan' : '/jobs';
  const answer = await post(target, path, body, timeoutMs);
  return reportAnswer(answer, values.json, io);
}

/** The file's exact bytes, refused before reading when it is larger than any webhook accepts. */
async function readRequestFile(file: string): Promise<Uint8Array<ArrayBuffer>> {
  try {
    const { size } = await stat(file);
    if (size > MAX_REQUEST_BYTES)
      throw new UsageError(`${file} is ${size} bytes; the webhook accepts ${MAX_REQUEST_BYTES} at most.`);
    return new Uint8Array(await readFile(file));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(`cannot read ${file}: ${code}.`);
  }
}

/** `--url` and the key from the environment, else the local stack's webhook and (if unset) key. */
async function resolveTarget(
  values: { url?: string | undefined; stack?: string | undefined; 'key-env': string },
  env: NodeJS.ProcessEnv,
): Promise<Target> {
  const keyEnv = values['key-env'];
  const fromEnv = env[keyEnv]?.split(',')[0]?.trim();
  if (values.url !== undefined) {
    const url = BaseUrlSchema.safeParse(values.url);
    if (!url.success) throw new UsageError(`--url wants an http(s) URL, not "${values.url}".`);
    if (!fromEnv)
      throw new UsageError(`set ${keyEnv} to the webhook's key (or name another with --key-env).`);
    return { base: url.data.replace(/\/+$/, ''), key: fromEnv };
  }
  const file = values.stack ?? (await defaultStackFile());
  let endpoints;
  try {
    endpoints = await readEndpointsFile(file);
  } catch (error) {
    throw new UsageError(`cannot use ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (endpoints === undefined)
    throw new UsageError(`no local stack (${file} is missing): start one with \`npm start\`, or give --url.`);
  return { base: endpoints.functions.webhook.replace(/\/+$/, ''), key: fromEnv || endpoints.webhookSecret };
}

/** The token `--bearer-env VAR` names; a named but unset variable is a usage error. */
function bearerToken(name: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (name === undefined) return undefined;
  if (!ENV_NAME.test(name))
    throw new UsageError(`--bearer-env wants an environment variable name, not "${name}".`);
  const token = env[name]?.trim();
  if (!token) throw new UsageError(`--bearer-env: ${name} is not set.`);
  return token;
}

async function post(
  target: Target,
  path: string,
  body: Uint8Array<ArrayBuffer>,
  timeoutMs: number,
): Promise<HttpResponse> {
  const url = `${target.base}${path}`;
  const signature = signatureHeader(target.key, Math.floor(Date.now() / 1000), {
    method: 'POST',
    path,
    body,
  });
  try {
    return await fetchWithLimits({
      method: 'POST',
      url,
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, application/problem+json',
        'X-Streamgate-Signature': signature,
        ...(target.bearer === undefined ? {} : { Authorization: `Bearer ${target.bearer}` }),
      },
      body,
      timeoutMs,
      maxBodyBytes: MAX_ANSWER_BYTES,
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown } }).cause?.code;
    const why = typeof cause === 'string' ? cause : (error as Error).message;
    throw new UsageError(`no answer from ${url}: ${why}.`);
  }
}
