import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentRecord } from '../src/domain/agent.ts';
import { checkPosition } from '../src/domain/org-rules.ts';

/** A chain under the CEO: vp ada, director bob (reports to ada), manager cy (reports to bob). */
const chain = new Map<string, AgentRecord>(
  [
    { agentId: 'ada', level: 'vp', managerId: 'ceo' },
    { agentId: 'bob', level: 'director', managerId: 'ada' },
    { agentId: 'cy', level: 'manager', managerId: 'bob' },
  ].map((a) => [a.agentId, { ...a, status: 'running' } as unknown as AgentRecord]),
);

function counting() {
  const reads: string[] = [];
  const find = (agentId: string) => {
    reads.push(agentId);
    return Promise.resolve(chain.get(agentId));
  };
  return { reads, find };
}

const at = (level: AgentRecord['level'], managerId: string) => ({ level, managerId }) as AgentRecord;

describe('org rules: a position against the org', () => {
  it('reads each agent up the chain of command once, the new manager included', async () => {
    const { reads, find } = counting();
    assert.equal(await checkPosition('dee', at('ic', 'cy'), find), undefined);
    assert.deepEqual(reads, ['cy', 'bob', 'ada']);
  });

  it('still finds a change that would close a loop above the new manager', async () => {
    const { find } = counting();
    // ada, demoted, would report to her own manager-of-a-manager's report.
    const violation = await checkPosition('ada', at('ic', 'cy'), find);
    assert.equal(violation?.code, 'REPORTING_CYCLE');
  });
});
