import {
  Server,
  ServerCredentials,
  status,
  type ServerUnaryCall,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { ServiceDefinition } from '@grpc/grpc-js';
import {
  DOCKER_IMAGE_NAME,
  LOCATION_NAME,
  REPOSITORY_NAME,
  SERVICE_NAME,
  type ServiceState,
  type StandInDockerImage,
  type StandInRepository,
  type StandInServiceState,
} from './model.js';
import { loadStandInServices } from './protos.js';

/** Enabled in every project unless `setServiceState` says otherwise. */
const DEFAULT_ENABLED_SERVICES = new Set(['containerfilesystem.googleapis.com']);
const MAX_PAGE_SIZE = 1000;

export interface ArtifactRegistryStandInOptions {
  port?: number;
  repositories?: StandInRepository[];
  dockerImages?: StandInDockerImage[];
  services?: StandInServiceState[];
}

export interface ArtifactRegistryStandIn {
  /** `127.0.0.1:port` */
  address: string;
  port: number;
  close(): Promise<void>;
  addRepository(repository: StandInRepository): void;
  addDockerImage(image: StandInDockerImage): void;
  /** The stored image, for callers that merge tags (see pushed-image.ts). */
  getDockerImage(name: string): StandInDockerImage | undefined;
  /** Forgets an image (a deleted manifest); false when it was not there. */
  removeDockerImage(name: string): boolean;
  hasRepository(name: string): boolean;
  setServiceState(project: string, service: string, state: ServiceState): void;
  /** RPCs received, by method name (`GetRepository`, `GetService`, …), including unimplemented ones. */
  calls: Record<string, number>;
}

type Handler = (request: Record<string, unknown>) => unknown;

class RpcError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Starts one gRPC server on 127.0.0.1 that serves `google.devtools.artifactregistry.v1.ArtifactRegistry`
 * (GetRepository, ListRepositories, GetDockerImage, ListDockerImages) and
 * `google.api.serviceusage.v1.ServiceUsage` (GetService, BatchGetServices). Every other method
 * answers UNIMPLEMENTED. Point the real clients at it with
 * `{ apiEndpoint: '127.0.0.1', port, sslCreds: grpc.credentials.createInsecure() }`.
 *
 * @example
 *   const ar = await startArtifactRegistryStandIn({ port: 0 });
 *   ar.addRepository({ name: 'projects/p/locations/us/repositories/r', mode: 'REMOTE_REPOSITORY' });
 */
export async function startArtifactRegistryStandIn(
  options: ArtifactRegistryStandInOptions = {},
): Promise<ArtifactRegistryStandIn> {
  const repositories = new Map<string, StandInRepository>();
  const images = new Map<string, StandInDockerImage>();
  const serviceStates = new Map<string, ServiceState>();
  const calls: Record<string, number> = {};

  const addRepository = (repository: StandInRepository): void => {
    if (!REPOSITORY_NAME.test(repository.name)) throw new Error(`Bad repository name ${repository.name}`);
    repositories.set(repository.name, { ...repository });
  };
  const addDockerImage = (image: StandInDockerImage): void => {
    const match = DOCKER_IMAGE_NAME.exec(image.name);
    if (!match || !repositories.has(match[1] as string)) {
      throw new Error(`Docker image ${image.name} needs a well-formed name in a known repository`);
    }
    images.set(image.name, { ...image, tags: [...(image.tags ?? [])] });
  };
  const setServiceState = (project: string, service: string, state: ServiceState): void => {
    serviceStates.set(`${project}/${service}`, state);
  };
  options.repositories?.forEach(addRepository);
  options.dockerImages?.forEach(addDockerImage);
  options.services?.forEach((s) => setServiceState(s.project, s.service, s.state));

  const serviceState = (project: string, service: string): ServiceState =>
    serviceStates.get(`${project}/${service}`) ??
    (DEFAULT_ENABLED_SERVICES.has(service) ? 'ENABLED' : 'DISABLED');
  const serviceMessage = (name: string): Record<string, unknown> => {
    const match = SERVICE_NAME.exec(name);
    if (!match) throw new RpcError(status.INVALID_ARGUMENT, `Invalid service name "${name}".`);
    const [, project, service] = match as unknown as [string, string, string];
    return {
      name,
      parent: `projects/${project}`,
      config: { name: service },
      state: serviceState(project, service),
    };
  };

  const artifactRegistry: Record<string, Handler> = {
    GetRepository: (request) => {
      const name = String(request.name ?? '');
      if (!REPOSITORY_NAME.test(name))
        throw new RpcError(status.INVALID_ARGUMENT, `Invalid repository name "${name}".`);
      const repository = repositories.get(name);
      if (!repository) throw new RpcError(status.NOT_FOUND, 'Requested entity was not found.');
      return repositoryMessage(repository);
    },
    ListRepositories: (request) => {
      const parent = String(request.parent ?? '');
      if (!LOCATION_NAME.test(parent))
        throw new RpcError(status.INVALID_ARGUMENT, `Invalid parent "${parent}".`);
      const all = [...repositories.values()].filter((r) => r.name.startsWith(`${parent}/repositories/`));
      const page = paginate(all, request);
      return { repositories: page.items.map(repositoryMessage), nextPageToken: page.nextPageToken };
    },
    GetDockerImage: (request) => {
      const name = String(request.name ?? '');
      const match = DOCKER_IMAGE_NAME.exec(name);
      if (!match) throw new RpcError(status.INVALID_ARGUMENT, `Invalid docker image name "${name}".`);
      const image = images.get(name);
      if (!image) throw new RpcError(status.NOT_FOUND, 'Requested entity was not found.');
      return dockerImageMessage(image);
    },
    ListDockerImages: (request) => {
      const parent = String(request.parent ?? '');
      if (!REPOSITORY_NAME.test(parent))
        throw new RpcError(status.INVALID_ARGUMENT, `Invalid parent "${parent}".`);
      if (!repositories.has(parent)) throw new RpcError(status.NOT_FOUND, 'Requested entity was not found.');
      const all = [...images.values()].filter((i) => i.name.startsWith(`${parent}/dockerImages/`));
      const page = paginate(all, request);
      return { dockerImages: page.items.map(dockerImageMessage), nextPageToken: page.nextPageToken };
    },
  };
  const serviceUsage: Record<string, Handler> = {
    GetService: (request) => serviceMessage(String(request.name ?? '')),
    BatchGetServices: (request) => {
      const names = Array.isArray(request.names) ? request.names.map(String) : [];
      if (names.length > 30)
        throw new RpcError(status.INVALID_ARGUMENT, 'At most 30 services may be requested.');
      return { services: names.map(serviceMessage) };
    },
  };

  const { artifactRegistry: arService, serviceUsage: suService } = loadStandInServices();
  const server = new Server();
  server.addService(arService, implement(arService, artifactRegistry, calls));
  server.addService(suService, implement(suService, serviceUsage, calls));
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${options.port ?? 0}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });

  return {
    address: `127.0.0.1:${port}`,
    port,
    calls,
    addRepository,
    addDockerImage,
    getDockerImage: (name) => {
      const image = images.get(name);
      return image && { ...image, tags: [...(image.tags ?? [])] };
    },
    removeDockerImage: (name) => images.delete(name),
    hasRepository: (name) => repositories.has(name),
    setServiceState,
    close: () =>
      new Promise<void>((resolve) => {
        // Give in-flight calls a moment, then cut them off so tests never hang.
        const timer = setTimeout(() => server.forceShutdown(), 1_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/** Unary handlers for every method of `service`: known ones run `handlers`, the rest are UNIMPLEMENTED. */
function implement(
  service: ServiceDefinition,
  handlers: Record<string, Handler>,
  calls: Record<string, number>,
): UntypedServiceImplementation {
  const implementation: UntypedServiceImplementation = {};
  for (const [method, definition] of Object.entries(service)) {
    if (definition.requestStream || definition.responseStream) continue; // none are used; grpc-js answers UNIMPLEMENTED
    const handler = handlers[method];
    implementation[method] = (
      call: ServerUnaryCall<Record<string, unknown>, unknown>,
      callback: sendUnaryData<unknown>,
    ) => {
      calls[method] = (calls[method] ?? 0) + 1;
      if (!handler) {
        callback({
          code: status.UNIMPLEMENTED,
          details: `Method ${method} is not implemented by the local stand-in.`,
        });
        return;
      }
      try {
        callback(null, handler(call.request));
      } catch (error) {
        if (error instanceof RpcError) callback({ code: error.code, details: error.message });
        else
          callback({
            code: status.INTERNAL,
            details: error instanceof Error ? error.message : String(error),
          });
      }
    };
  }
  return implementation;
}

function repositoryMessage(repository: StandInRepository): Record<string, unknown> {
  return {
    name: repository.name,
    format: repository.format ?? 'DOCKER',
    mode: repository.mode ?? 'STANDARD_REPOSITORY',
    kmsKeyName: repository.kmsKeyName ?? '',
    description: repository.description ?? '',
    labels: repository.labels ?? {},
  };
}

function dockerImageMessage(image: StandInDockerImage): Record<string, unknown> {
  return {
    name: image.name,
    uri: image.uri,
    tags: image.tags ?? [],
    imageSizeBytes: String(image.imageSizeBytes ?? 0),
    mediaType: image.mediaType ?? '',
    artifactType: image.artifactType ?? '',
    ...(image.uploadTime
      ? { uploadTime: timestamp(image.uploadTime), updateTime: timestamp(image.uploadTime) }
      : {}),
  };
}

function timestamp(date: Date): { seconds: string; nanos: number } {
  const ms = date.getTime();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

/** page_token is the offset of the next item, as the stand-in's own opaque string. */
function paginate<T>(items: T[], request: Record<string, unknown>): { items: T[]; nextPageToken: string } {
  const size = Math.min(Number(request.pageSize) || MAX_PAGE_SIZE, MAX_PAGE_SIZE);
  const token = String(request.pageToken ?? '');
  const start = token === '' ? 0 : Number(token);
  if (!Number.isInteger(start) || start < 0)
    throw new RpcError(status.INVALID_ARGUMENT, 'Invalid page token.');
  const end = start + size;
  return { items: items.slice(start, end), nextPageToken: end < items.length ? String(end) : '' };
}
