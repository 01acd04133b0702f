import type { EventType } from '@ocf/events';
import { subscribedEventTypes } from '@ocf/routing';
import { answeringRejections, type EventHandler, type HandlerMap } from '@ocf/runtime';
import type { Directory } from '../directory.ts';
import { onAgentHired } from './on-agent-hired.ts';
import { onAgentRetired } from './on-agent-retired.ts';
import { onCascadeEvent } from './on-cascade-event.ts';
import { onRejectedRequest } from './on-rejected-request.ts';

/**
 * Hire and retire requests from outside get their own handlers, which also answer the requests
 * that fail to parse (HireRejected); every other event routed to the directory is a cascade
 * report for the status projection.
 */
export function createHandlers(directory: Directory): HandlerMap {
  const project = onCascadeEvent(directory);
  const handlers: Partial<Record<EventType, EventHandler<EventType>>> = {};
  for (const type of subscribedEventTypes('directory')) handlers[type] = project as EventHandler<EventType>;
  return {
    ...(handlers as HandlerMap),
    AgentHired: answeringRejections(onAgentHired(directory), onRejectedRequest('AgentHired')),
    AgentRetired: answeringRejections(onAgentRetired(directory), onRejectedRequest('AgentRetired')),
  };
}
