import type { EventType } from '@ocf/events';
import { subscribedEventTypes } from '@ocf/routing';
import type { EventHandler, HandlerMap } from '@ocf/runtime';
import type { Monitor } from '../monitor.ts';
import { onFleetEvent } from './on-fleet-event.ts';

/**
 * The health service's event handlers: exactly its subscriptions in shared/routing (startService
 * checks). They all fold the event into the agent's record; the monitor decides from there.
 */
export function createHandlers(monitor: Monitor): HandlerMap {
  const handle = onFleetEvent(monitor) as EventHandler<EventType>;
  const handlers: Partial<Record<EventType, EventHandler<EventType>>> = {};
  for (const type of subscribedEventTypes('health')) handlers[type] = handle;
  return handlers;
}
