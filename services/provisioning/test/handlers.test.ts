import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { subscribedEventTypes } from '@ocf/routing';
import { createMemoryAgentStateStore } from '../src/adapters/memory-agent-state.ts';
import { createHandlers } from '../src/handlers/index.ts';
import { provisioningHarness } from './support/harness.ts';
import { nameTrustingSecretCheck } from './support/secret-check.ts';

describe('provisioning handlers', () => {
  it('cover exactly the subscriptions of provisioning', () => {
    const handlers = createHandlers({
      store: createMemoryAgentStateStore(),
      secrets: nameTrustingSecretCheck('test'),
      reconcile: () => undefined,
      reannounce: () => Promise.resolve(false),
    });
    assert.deepEqual(Object.keys(handlers).sort(), subscribedEventTypes('provisioning').sort());
  });

  it('record each fact and ask for a pass; an older fact never replaces a newer one', async () => {
    const h = provisioningHarness();
    const later = new Date('2026-11-25T12:00:00.000Z');
    const earlier = new Date('2026-11-25T11:00:00.000Z');
    await h.deliver(
      'CredentialsIssued',
      {
        agentId: 'ada',
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/ada-a1B2c3',
        restored: false,
      },
      { at: later },
    );
    await h.deliver(
      'CredentialsIssued',
      {
        agentId: 'ada',
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/ada-z9Y8x7',
        restored: false,
      },
      { at: earlier },
    );
    const record = await h.store.get('ada');
    assert.match(record?.credentials?.secretArn ?? '', /ada-a1B2c3$/);
    assert.deepEqual(h.triggers, ['CredentialsIssued ada', 'CredentialsIssued ada']);
  });

  it('take facts in any order: the chat account before the hire still launches once all are in', async () => {
    const h = provisioningHarness();
    await h.deliver('ChatAccountReady', { agentId: 'ada', matrixUserId: '@agent-ada:fleet.test' });
    await h.deliver('CredentialsIssued', {
      agentId: 'ada',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/ada-a1B2c3',
      restored: false,
    });
    await h.reconciler.runOnce();
    assert.equal(h.tasks.running().length, 0);
    await h.deliver(
      'AgentHired',
      { agentId: 'ada', name: 'Ada', title: 'T', level: 'ic', department: 'D', managerId: 'ceo' },
      { at: new Date(h.clock.now - 5_000) },
    );
    await h.reconciler.runOnce();
    assert.equal(h.tasks.running('ada').length, 1);
  });
});
