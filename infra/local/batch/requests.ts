import { z } from 'zod';
import { invalidArgument } from './rpc-error.js';

/*
 * The parts of each BatchService request the stand-in reads, as zod schemas. Objects are loose:
 * every other field a client sends is kept and echoed back, as the real API does. Shapes follow
 * PROTO_LOADER_OPTIONS (camelCase, int64 as strings, enums as names, unset messages as null).
 */

const int64 = z.union([z.string(), z.number()]).transform((v) => Number(v));

const ContainerSchema = z.looseObject({
  imageUri: z.string().default(''),
  commands: z.array(z.string()).default([]),
  entrypoint: z.string().default(''),
});

const RunnableSchema = z.looseObject({
  container: ContainerSchema.nullish(),
  script: z.looseObject({ path: z.string().nullish(), text: z.string().nullish() }).nullish(),
  barrier: z.looseObject({ name: z.string().default('') }).nullish(),
});
export type RunnableInput = z.infer<typeof RunnableSchema>;

const TaskGroupSchema = z.looseObject({
  taskSpec: z.looseObject({ runnables: z.array(RunnableSchema).default([]) }).nullish(),
  taskCount: int64.default(0),
  parallelism: int64.default(0),
});

const NotificationSchema = z.looseObject({
  pubsubTopic: z.string().default(''),
  message: z
    .looseObject({
      type: z.string().default('TYPE_UNSPECIFIED'),
      newJobState: z.string().default('STATE_UNSPECIFIED'),
      newTaskState: z.string().default('STATE_UNSPECIFIED'),
    })
    .nullish(),
});
export type NotificationInput = z.infer<typeof NotificationSchema>;

const JobInputSchema = z.looseObject({
  taskGroups: z.array(TaskGroupSchema).default([]),
  allocationPolicy: z
    .looseObject({
      location: z.looseObject({ allowedLocations: z.array(z.string()).default([]) }).nullish(),
    })
    .nullish(),
  labels: z.record(z.string(), z.string()).default({}),
  notifications: z.array(NotificationSchema).default([]),
});
export type JobInput = z.infer<typeof JobInputSchema>;

export const CreateJobRequestSchema = z.looseObject({
  parent: z.string().default(''),
  jobId: z.string().default(''),
  requestId: z.string().default(''),
  job: JobInputSchema.nullish(),
});
export type CreateJobRequest = z.infer<typeof CreateJobRequestSchema>;

export const NameRequestSchema = z.looseObject({
  name: z.string().default(''),
  reason: z.string().default(''),
  requestId: z.string().default(''),
});

export const ListRequestSchema = z.looseObject({
  parent: z.string().default(''),
  filter: z.string().default(''),
  orderBy: z.string().default(''),
  pageSize: z.number().int().default(0),
  pageToken: z.string().default(''),
});

/** Parses a decoded request; a shape the schema rejects is the caller's INVALID_ARGUMENT. */
export function parseRequest<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw invalidArgument(`Malformed ${what}: ${issues}`);
  }
  return parsed.data;
}
