import type { AnyFleetEvent } from '@ocf/events';
import type { Directory } from '../directory.ts';

/** Every event the cascade reports, folded into the agent's status. */
export function onCascadeEvent(directory: Directory): (event: AnyFleetEvent) => Promise<void> {
  return (event) => directory.project(event);
}
