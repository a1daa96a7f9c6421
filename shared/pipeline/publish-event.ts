import { clampToSchema } from '../core/bounds.js';
import { buildEvent, toPubsubMessage } from '../core/cloudevent.js';
import { eventSource } from '../core/config.js';
import { EVENT_DATA_SCHEMAS, type EventData, type EventType } from '../core/events.js';
import type { PipelineDeps } from './deps.js';

/**
 * Builds, validates and publishes one streamgate CloudEvent. Ids are deterministic, so a
 * redelivered request republishes the same `ce-id` and consumers can dedupe. Strings and lists are
 * first cut to the schema's bounds (clampToSchema): text copied from a manifest, a registry or a
 * request must never make the event of an existing job fail validation.
 */
export async function publishEvent<T extends EventType>(
  deps: Pick<PipelineDeps, 'config' | 'events' | 'clock'>,
  type: T,
  data: EventData<T>,
  id: string,
  subject?: string,
): Promise<string> {
  const event = buildEvent(type, clampToSchema(EVENT_DATA_SCHEMAS[type], data), {
    id,
    source: eventSource(deps.config),
    time: deps.clock.now(),
    ...(subject ? { subject } : {}),
  });
  await deps.events.publish(toPubsubMessage(event));
  return event.id;
}
