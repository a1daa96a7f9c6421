/**
 * `npm start` (bin/streamgate-stack): runs the local stack in the foreground until SIGINT or
 * SIGTERM. Prints the endpoints JSON on stdout and a hint on stderr; function logs go to
 * `.streamgate/logs/`. Exit status: 0 after a clean shutdown, 2 for a busy port or bad flags,
 * 1 when startup fails otherwise or a function process dies.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_PORTS, FREE_PORTS, PortBusyError, portsFromBase, type StackPorts } from './ports.js';
import { FAST_TIMINGS, INTERACTIVE_TIMINGS, startStack, type RunningStack } from './stack.js';

export const STACK_HELP = `streamgate-stack — run streamgate locally: stand-ins for Batch, Pub/Sub, Artifact Registry and
the registry, plus the four Cloud Functions.

Usage: npm start [-- options]   (or: node bin/streamgate-stack [options])
  --port-base N            functions on N..N+3, then Pub/Sub N+4, registry N+5, Batch N+6,
                           Artifact Registry N+7, the page N+8 (env STREAMGATE_PORT_BASE; 0 = any
                           free ports)
  --registry-port N, --batch-port N, --pubsub-port N, --artifact-registry-port N, --dashboard-port N
                           override one service's port
  --webhook-secret S       webhook HMAC key (default: a random one, printed in the endpoints)
  --log-level L            DEBUG, INFO, WARNING or ERROR for the functions (default INFO)
  --fast                   Batch jobs finish in milliseconds instead of seconds
  --state-dir DIR          config, logs and local-stack.json (default .streamgate)
  --push-unwrapped         Pub/Sub pushes unwrapped (noWrapper + writeMetadata), like Terraform's
                           push_unwrapped = true

Default ports: functions 8081-8084, registry 5001, Batch 7001, Pub/Sub 8085, Artifact Registry 7002,
the page (dashboard, read-only) 8080.`;

interface Io {
  out(text: string): void;
  err(text: string): void;
}

const processIo: Io = {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
};

class FlagError extends Error {}

function portFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new FlagError(`${flag} must be a port number, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** Ports from flags and STREAMGATE_PORT_BASE (flags win). */
export function portsFromArgs(
  values: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
): StackPorts {
  const base =
    portFlag(values['port-base'] as string | undefined, '--port-base') ??
    portFlag(env.STREAMGATE_PORT_BASE, 'STREAMGATE_PORT_BASE');
  if (base !== undefined && base !== 0 && base + 8 > 65535)
    throw new FlagError('--port-base leaves no room for 9 ports');
  const ports: StackPorts =
    base === undefined
      ? structuredClone(DEFAULT_PORTS)
      : base === 0
        ? structuredClone(FREE_PORTS)
        : portsFromBase(base);
  const one = (flag: string) => portFlag(values[flag] as string | undefined, `--${flag}`);
  ports.registry = one('registry-port') ?? ports.registry;
  ports.batch = one('batch-port') ?? ports.batch;
  ports.pubsub = one('pubsub-port') ?? ports.pubsub;
  ports.artifactRegistry = one('artifact-registry-port') ?? ports.artifactRegistry;
  ports.dashboard = one('dashboard-port') ?? ports.dashboard;
  return ports;
}

function hint(stack: RunningStack): string {
  const webhook = stack.endpoints.functions.webhook;
  return [
    `streamgate local stack is up (project ${stack.endpoints.project}); endpoints in ${stack.paths.endpoints}`,
    `  page:     ${stack.endpoints.dashboard}   (live events, jobs and counters; read-only)`,
    `  demo:     npm run demo            (pushes three images, prints the events)`,
    `  webhook:  BODY='{"apiVersion":"streamgate/v1","image":"${stack.endpoints.registryHost}/${stack.endpoints.project}/apps/hello:eligible"}'; T=$(date +%s)`,
    `            SIG="t=$T,v2=$(printf '%s.%s.%s.%s' "$T" POST /jobs "$BODY" | openssl dgst -sha256 -hmac '${stack.endpoints.webhookSecret}' -r | cut -d' ' -f1)"`,
    `            curl -i -X POST ${webhook}/jobs -H 'content-type: application/json' -H "X-Streamgate-Signature: $SIG" -d "$BODY"`,
    `  submit:   echo "$BODY" > request.json; ./bin/streamgate submit --request request.json   (signs and posts it)`,
    `  logs:     ${stack.paths.logs}/<function>.log`,
    `  stop:     Ctrl-C`,
  ].join('\n');
}

/**
 * Runs the stack until a signal arrives; resolves with the exit status.
 *
 * @example process.exitCode = await runStackMain(process.argv.slice(2));
 */
export async function runStackMain(
  argv: string[],
  io: Io = processIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let ports: StackPorts;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'port-base': { type: 'string' },
        'registry-port': { type: 'string' },
        'batch-port': { type: 'string' },
        'pubsub-port': { type: 'string' },
        'artifact-registry-port': { type: 'string' },
        'dashboard-port': { type: 'string' },
        'webhook-secret': { type: 'string' },
        'log-level': { type: 'string' },
        'state-dir': { type: 'string' },
        fast: { type: 'boolean' },
        'push-unwrapped': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
    ports = portsFromArgs(values, env);
  } catch (error) {
    io.err(`streamgate-stack: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  if (values.help) {
    io.out(STACK_HELP);
    return 0;
  }

  // Only local stand-ins are spoken to: never probe the GCE metadata server.
  env.METADATA_SERVER_DETECTION ??= 'none';
  // Signals that arrive during startup are honoured once startup has finished or failed.
  let stopRequested: (signal: string) => void = () => undefined;
  const stopSignal = new Promise<string>((resolve) => (stopRequested = resolve));
  const onSignal = (signal: NodeJS.Signals) => stopRequested(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let stack: RunningStack;
    try {
      stack = await startStack({
        ports,
        batchTimings: values.fast ? FAST_TIMINGS : INTERACTIVE_TIMINGS,
        pushUnwrapped: values['push-unwrapped'] === true,
        ...(typeof values['webhook-secret'] === 'string' ? { webhookSecret: values['webhook-secret'] } : {}),
        ...(typeof values['log-level'] === 'string' ? { logLevel: values['log-level'] } : {}),
        ...(typeof values['state-dir'] === 'string' ? { stateDir: values['state-dir'] } : {}),
        onProgress: (step) => io.err(`streamgate-stack: ${step}…`),
      });
    } catch (error) {
      if (error instanceof PortBusyError) {
        io.err(`streamgate-stack: ${error.message}`);
        return 2;
      }
      io.err(`streamgate-stack: startup failed: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
    io.out(JSON.stringify(stack.endpoints, null, 2));
    io.err(hint(stack));

    const outcome = await Promise.race([
      stopSignal.then((signal) => ({ kind: 'signal' as const, signal })),
      stack.childExited.then((exit) => ({ kind: 'child' as const, ...exit })),
    ]);
    if (outcome.kind === 'child') {
      io.err(
        `streamgate-stack: ${outcome.name} exited (${outcome.code}); see ${stack.paths.logs}/${outcome.name}.log. Stopping.`,
      );
    } else {
      io.err(`streamgate-stack: ${outcome.signal} received, stopping…`);
    }
    await stack.close();
    io.err('streamgate-stack: stopped.');
    return outcome.kind === 'signal' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

// Run when executed directly (node --import tsx infra/local/stack-main.ts), not when imported.
if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  process.exitCode = await runStackMain(process.argv.slice(2));
}
