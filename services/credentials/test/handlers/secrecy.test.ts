import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { SecretStoreError } from '../../src/ports.ts';
import { credentialsHarness, hired, MODEL_KEY_KEY, TOKEN_KEY } from '../support/harness.ts';

/**
 * The rule the prototype broke ("password fragments in logs"): a secret value appears in no
 * event, log entry or error. Every password the store ever held is the canary, searched for in
 * everything the handlers let out, on success and failure paths alike.
 */
describe('secrecy', () => {
  it('keeps every secret value out of events, logs and errors', async () => {
    const h = credentialsHarness({ maxAttempts: 1 });
    const errors: Error[] = [];
    const run = async (trigger: Parameters<typeof h.deliver>[0]) => {
      try {
        await h.deliver(trigger);
      } catch (error) {
        errors.push(error as Error);
      }
    };

    await run(h.event('AgentHired', hired('ada')));
    await run(h.event('CredentialsRotationRequested', { agentId: 'ada' }));
    h.store.failNext(
      'putNewVersion',
      new SecretStoreError('PutSecretValue of ocf/test/agents/ada failed: EncryptionFailure', {
        retryable: false,
      }),
    );
    await run(h.event('CredentialsRotationRequested', { agentId: 'ada' }));
    h.failPublishes(1);
    await run(h.event('CredentialsRotationRequested', { agentId: 'ada' }));
    await run(h.event('AgentRetired', { agentId: 'ada' }));
    await run(h.event('CredentialsRotationRequested', { agentId: 'ada' }));
    await run(h.event('AgentHired', hired('ada')));
    await run(h.event('CredentialsRotationRequested', { agentId: 'nobody' }));

    const canaries = h.passwords();
    // A directory token and a model key per value (the Matrix token is the bridge's to add).
    assert.equal(canaries.length, 6, 'the hire and two rotations each wrote a value');
    assert.ok(errors.length >= 4, 'the failure paths ran');
    const outside = [
      JSON.stringify(h.published),
      JSON.stringify(h.logger.entries),
      ...errors.flatMap((error) => [error.message, inspect(error, { depth: 10 })]),
    ].join('\n');
    for (const canary of [...canaries, TOKEN_KEY.reveal(), MODEL_KEY_KEY.reveal()])
      assert.ok(!outside.includes(canary), 'a secret value escaped');
  });
});
