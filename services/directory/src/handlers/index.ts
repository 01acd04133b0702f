import type { EventType } from '@ocf/events';
import { subscribedEventTypes } from '@ocf/routing';
import type { EventHandler, HandlerMap } from '@ocf/runtime';
import type { Directory } from '../directory.ts';
import { onAgentHired } from './on-agent-hired.ts';
import { onAgentRetired } from './on-agent-retired.ts';
import { onCascadeEvent } from './on-cascade-event.ts';

/**
 * Hire and retire requests from outside get their own handlers; every other event routed to the
 * directory is a cascade report for the status projection.
 */
export function createHandlers(directory: Directory): HandlerMap {
  const project = onCascadeEvent(directory);
  const handlers: Partial<Record<EventType, EventHandler<EventType>>> = {};
  for (const type of subscribedEventTypes('directory')) handlers[type] = project as EventHandler<EventType>;
  return {
    ...(handlers as HandlerMap),
    AgentHired: onAgentHired(directory),
    AgentRetired: onAgentRetired(directory),
  };
}
