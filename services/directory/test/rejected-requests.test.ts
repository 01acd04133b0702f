import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEventMessage, type Rejection } from '@ocf/events';
import { createMemoryLogger } from '@ocf/logging';
import { hireRejectedFor, onRejectedRequest } from '../src/handlers/on-rejected-request.ts';

function rejectionOf(type: string, data: unknown, source = 'hr.example'): Rejection {
  const result = parseEventMessage(
    JSON.stringify({
      version: '0',
      id: 'eb-0042',
      'detail-type': type,
      source,
      account: '123456789012',
      time: '2026-11-25T10:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: { data },
    }),
  );
  if (result.ok) assert.fail('the test event was valid');
  return result.rejection;
}

function must<T>(value: T | undefined): T {
  assert.ok(value !== undefined, 'no answer');
  return value;
}

describe('answering outside requests that fail to parse', () => {
  it('answers a hire with invalid data that names an agent with HireRejected naming the fields', () => {
    const answer = must(
      hireRejectedFor('AgentHired', rejectionOf('AgentHired', { agentId: 'ada', level: 'emperor' })),
    );
    assert.equal(answer.agentId, 'ada');
    assert.equal(answer.requestEventId, 'eb-0042');
    assert.equal(answer.requestType, 'AgentHired');
    assert.match(answer.reason, /data\.level/);
    assert.match(answer.reason, /data\.name/);
  });

  it('answers even when the agent id itself is what is wrong, as long as it is readable text', () => {
    const answer = must(
      hireRejectedFor('AgentRetired', rejectionOf('AgentRetired', { agentId: 'Ada Lovelace' })),
    );
    assert.equal(answer.agentId, 'Ada Lovelace');
    assert.match(answer.reason, /data\.agentId/);
  });

  it('does not answer without a readable agent id, nor the fleet itself', () => {
    for (const data of [
      undefined,
      {},
      { agentId: 42 },
      { agentId: '' },
      { agentId: 'a\u001b]0;x\u0007' },
      'ada',
    ]) {
      assert.equal(
        hireRejectedFor('AgentHired', rejectionOf('AgentHired', data)),
        undefined,
        JSON.stringify(data),
      );
    }
    assert.equal(
      hireRejectedFor('AgentHired', rejectionOf('AgentHired', { agentId: 'ada' }, 'ocf.directory')),
      undefined,
    );
  });

  it('publishes the answer through the consumer, and says so in the log when there is none', async () => {
    const emitted: unknown[] = [];
    const logger = createMemoryLogger();
    const context = {
      logger,
      receiveCount: 1,
      emit: (type: string, data: unknown) => {
        emitted.push({ type, data });
        return Promise.resolve({} as never);
      },
    };
    const answer = onRejectedRequest('AgentHired');
    await answer(rejectionOf('AgentHired', { agentId: 'ada' }), context as never);
    await answer(rejectionOf('AgentHired', { name: 'nobody' }), context as never);
    assert.equal(emitted.length, 1);
    assert.equal((emitted[0] as { type: string }).type, 'HireRejected');
  });
});
