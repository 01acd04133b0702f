import { TransientError } from '@ocf/errors';
import { CEO_ID, roomKey } from '@ocf/naming';
import type { EventData } from '@ocf/events';
import type { EventHandler } from '@ocf/runtime';
import type { BridgeDeps } from '../reconcile/deps.ts';

const usd = (amount: number) => `$${amount.toFixed(2)}`;

/**
 * AgentBudgetThresholdReached / AgentBudgetExhausted (from the model gateway, ADR 0017) -> a
 * notice to the agent's manager, in the room the two of them share, mentioning the manager. The
 * transaction id is the event's, so a redelivered event is the same message, not a second one.
 */
type BudgetEvent = Parameters<EventHandler<'AgentBudgetThresholdReached' | 'AgentBudgetExhausted'>>[0];

export function onBudgetNotice(
  deps: BridgeDeps,
): EventHandler<'AgentBudgetThresholdReached'> & EventHandler<'AgentBudgetExhausted'> {
  return async (event: BudgetEvent, context) => {
    const { agentId, managerId } = event.data;
    const alias = deps.naming.alias(roomKey({ kind: 'direct', managerId, reportId: agentId }));
    const roomId = await deps.homeserver.resolveAlias(alias);
    if (roomId === undefined) {
      // The two have no room yet (the hire's chat step is still on its way): later.
      throw new TransientError(
        'MANAGER_ROOM_NOT_YET',
        `no room ${alias} between ${managerId} and ${agentId} yet`,
      );
    }
    const manager = managerId === CEO_ID ? deps.ceoUserId : deps.naming.agentUserId(managerId);
    const agent = deps.naming.agentUserId(agentId);
    const body =
      event.type === 'AgentBudgetThresholdReached'
        ? thresholdText(manager, agent, agentId, event.data as EventData<'AgentBudgetThresholdReached'>)
        : exhaustedText(manager, agent, event.data as EventData<'AgentBudgetExhausted'>);
    await deps.homeserver.send(roomId, `ocf.budget.${event.metadata.eventId}`, {
      msgtype: 'm.notice',
      body,
      'm.mentions': { user_ids: [manager] },
      'ocf.announcement': {
        kind: event.type === 'AgentBudgetThresholdReached' ? 'budget-threshold' : 'budget-exhausted',
        agentId,
      },
    });
    context.logger.info('budget notice sent to the manager', { managerId, kind: event.type, roomId });
  };
}

function thresholdText(
  manager: string,
  agent: string,
  agentId: string,
  data: EventData<'AgentBudgetThresholdReached'>,
): string {
  return (
    `${manager}: budget notice — ${agent} has spent ${usd(data.spentUsd)} of its ${usd(data.budgetUsd)} monthly model budget ` +
    `for ${data.month} (${data.thresholdPercent}% reached). Its calls still go through; raise its budget ` +
    `(PATCH /v1/agents/${agentId} {"monthlyBudgetUsd": ...}) if it needs more.`
  );
}

function exhaustedText(manager: string, agent: string, data: EventData<'AgentBudgetExhausted'>): string {
  const whose =
    data.scope === 'agent'
      ? `${agent}'s monthly model budget`
      : data.scope === 'department'
        ? `the ${data.department} department's monthly model budget`
        : "the fleet's monthly model budget";
  return (
    `${manager}: budget spent — ${whose} for ${data.month} is used up (${usd(data.spentUsd)} of ${usd(data.budgetUsd)}). ` +
    `The model gateway refuses ${agent}'s calls until the budget is raised or the month turns.`
  );
}
