/**
 * Ports of the local stack: fixed defaults, a `--port-base` layout, and a check that names the
 * busy port before anything starts.
 */
import { connect, createServer } from 'node:net';
import { FUNCTION_NAMES, type FunctionName } from '../../functions/function-names.js';

// The four functions' ports are laid out in FUNCTION_NAMES order.
export { FUNCTION_NAMES, type FunctionName };

export interface StackPorts {
  functions: Record<FunctionName, number>;
  registry: number;
  batch: number;
  pubsub: number;
  artifactRegistry: number;
  /** The read-only local page (infra/local/dashboard). */
  dashboard: number;
}

/**
 * `npm start` without flags: functions on 8081–8084, registry 5001, Batch 7001, Pub/Sub 8085,
 * AR 7002, the page on 8080.
 */
export const DEFAULT_PORTS: StackPorts = {
  functions: { onImagePush: 8081, onJobRequest: 8082, webhook: 8083, onJobStateChanged: 8084 },
  registry: 5001,
  batch: 7001,
  pubsub: 8085,
  artifactRegistry: 7002,
  dashboard: 8080,
};

/** Every port 0: each server picks a free one (tests). */
export const FREE_PORTS: StackPorts = portsFromBase(0);

/**
 * Lays the stack out on consecutive ports: functions at base..base+3 (in FUNCTION_NAMES order),
 * then Pub/Sub, registry, Batch, Artifact Registry and the page. Base 0 means "any free port"
 * everywhere.
 *
 * @example portsFromBase(9000).functions.webhook // 9002; portsFromBase(9000).registry // 9005
 */
export function portsFromBase(base: number): StackPorts {
  const at = (offset: number) => (base === 0 ? 0 : base + offset);
  return {
    functions: { onImagePush: at(0), onJobRequest: at(1), webhook: at(2), onJobStateChanged: at(3) },
    pubsub: at(4),
    registry: at(5),
    batch: at(6),
    artifactRegistry: at(7),
    dashboard: at(8),
  };
}

/** Every fixed (non-zero) port with the service that wants it. */
function fixedPorts(ports: StackPorts): Array<{ service: string; port: number }> {
  const all = [
    ...FUNCTION_NAMES.map((name) => ({ service: name, port: ports.functions[name] })),
    { service: 'registry', port: ports.registry },
    { service: 'batch', port: ports.batch },
    { service: 'pubsub', port: ports.pubsub },
    { service: 'artifactRegistry', port: ports.artifactRegistry },
    { service: 'dashboard', port: ports.dashboard },
  ];
  return all.filter((entry) => entry.port !== 0);
}

/** A port the stack needs is taken; the message says which and how to pick others. */
export class PortBusyError extends Error {
  constructor(
    readonly service: string,
    readonly port: number,
  ) {
    super(
      `port ${port} (${service}) is already in use on 127.0.0.1; stop whatever listens there, ` +
        `or choose other ports with --port-base N (or STREAMGATE_PORT_BASE=N).`,
    );
    this.name = 'PortBusyError';
  }
}

/** Resolves true when 127.0.0.1:port can be bound right now. */
function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** Throws PortBusyError for the first fixed port already bound. */
export async function assertPortsFree(ports: StackPorts): Promise<void> {
  const seen = new Map<number, string>();
  for (const { service, port } of fixedPorts(ports)) {
    const other = seen.get(port);
    if (other !== undefined) throw new Error(`port ${port} is given to both ${other} and ${service}`);
    seen.set(port, service);
    if (!(await isPortFree(port))) throw new PortBusyError(service, port);
  }
}

/** True for a bind failure caused by a port in use. */
export function isAddressInUse(error: unknown): boolean {
  const text =
    error instanceof Error ? `${(error as { code?: unknown }).code ?? ''} ${error.message}` : String(error);
  return /EADDRINUSE|address already in use|No address added out of total/i.test(text);
}

/** Resolves true when something accepts a TCP connection on host:port within `timeoutMs`. */
export function answersOn(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(timeoutMs);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
