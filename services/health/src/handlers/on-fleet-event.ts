import type { AnyFleetEvent } from '@ocf/events';
import type { HandlerContext } from '@ocf/runtime';
import type { Monitor } from '../monitor.ts';

/**
 * Every event routed to health is a fact about an agent's life: folded into its record (which
 * task to watch, when to stop watching, how far its cascade got). A launch also asks for a look
 * at the new task right away, so AgentRunning follows without waiting for the next poll.
 */
export function onFleetEvent(
  monitor: Monitor,
): (event: AnyFleetEvent, context: HandlerContext) => Promise<void> {
  return async (event, context) => {
    await monitor.applyEvent(event);
    if (event.type === 'AgentLaunching') {
      context.logger.info('watching a new task', { taskArn: event.data.taskArn });
      monitor.trigger(event.data.agentId);
    }
  };
}
