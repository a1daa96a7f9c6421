/**
 * Pub/Sub resource names, checked the way the real service checks them: an id is 3-255
 * characters, starts with a letter, uses letters, digits and `-_.~+%`, and does not start with
 * `goog`. (The emulator rejects `s1` with "Invalid [subscriptions] name".)
 */
import { z } from 'zod';
import { grpcError } from './grpc-status.js';
import * as grpc from '@grpc/grpc-js';

const RESOURCE_ID = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;
const PROJECT_ID = /^[a-z0-9][a-z0-9\-.:]{0,127}$/i;

/** The topic name a subscription reports once its topic has been deleted. */
export const DELETED_TOPIC = '_deleted-topic_';

export type ResourceKind = 'topics' | 'subscriptions';

export interface ResourceName {
  project: string;
  kind: ResourceKind;
  id: string;
  /** `projects/P/<kind>/ID` */
  name: string;
}

const resourceId = z
  .string()
  .regex(RESOURCE_ID)
  .refine((id) => !id.toLowerCase().startsWith('goog'), 'ids must not start with "goog"');

/** Parses `projects/P/topics/T` or `projects/P/subscriptions/S`; throws INVALID_ARGUMENT. */
export function parseResourceName(name: string, kind: ResourceKind): ResourceName {
  const parts = name.split('/');
  const [p, project, k, id] = parts;
  const ok =
    parts.length === 4 &&
    p === 'projects' &&
    k === kind &&
    project !== undefined &&
    PROJECT_ID.test(project) &&
    resourceId.safeParse(id).success;
  if (!ok || project === undefined || id === undefined) {
    throw grpcError(grpc.status.INVALID_ARGUMENT, `Invalid [${kind}] name: (name=${name})`);
  }
  return { project, kind, id, name };
}

/** Parses `projects/P`; throws INVALID_ARGUMENT. */
export function parseProjectName(name: string): string {
  const match = /^projects\/([^/]+)$/.exec(name);
  if (!match?.[1] || !PROJECT_ID.test(match[1])) {
    throw grpcError(grpc.status.INVALID_ARGUMENT, `Invalid project name: (name=${name})`);
  }
  return match[1];
}

/** The id part of a full resource name (`projects/p/topics/t` -> `t`); returns the input otherwise. */
export function resourceIdOf(name: string): string {
  return name.split('/').pop() ?? name;
}
