import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import {
  createModelKeyKeyReader,
  createSecretsManagerKeyVersions,
} from '../../src/adapters/secrets-manager.ts';

/** A Secrets Manager that answers DescribeSecret from `state`, and counts the calls. */
function describing(state: { current: string; deleted?: boolean }) {
  const calls: string[] = [];
  return {
    calls,
    send(command: { input: { SecretId?: string } }) {
      calls.push(command.input.SecretId ?? '');
      return Promise.resolve({
        ...(state.deleted === true ? { DeletedDate: new Date() } : {}),
        VersionIdsToStages: { [state.current]: ['AWSCURRENT'], 'old-version-0001': ['AWSPREVIOUS'] },
      });
    },
  };
}

describe("the secret versions behind agents' model keys (DescribeSecret)", () => {
  it('answers the AWSCURRENT version from a cache, and reads a new version at once but an old one rarely', async () => {
    const clock = { now: 0 };
    const state: { current: string; deleted?: boolean } = { current: 'version-0000001' };
    const client = describing(state);
    const versions = createSecretsManagerKeyVersions(client as never, 'test', { now: () => clock.now });
    assert.deepEqual(await versions.current('ada'), { state: 'active', versionId: 'version-0000001' });
    assert.deepEqual(client.calls, ['ocf/test/agents/ada']);
    await versions.current('ada');
    assert.equal(client.calls.length, 1, 'cached');

    // A rotation: the new task's key names a version the cache has not seen: read at once.
    state.current = 'version-0000002';
    clock.now += 1000;
    assert.deepEqual(await versions.current('ada', { fresh: true, claimedVersionId: 'version-0000002' }), {
      state: 'active',
      versionId: 'version-0000002',
    });
    assert.equal(client.calls.length, 2);
    // The old task keeps calling with the old key: no read per call.
    for (let i = 0; i < 20; i++)
      await versions.current('ada', { fresh: true, claimedVersionId: 'version-0000001' });
    assert.equal(client.calls.length, 3, 'one read for the old version, then the cache');

    state.deleted = true;
    clock.now += 61_000;
    assert.deepEqual(await versions.current('ada'), { state: 'scheduled-for-deletion' });
  });

  it('says absent for an agent without a secret, and reads the model-key key until there is one', async () => {
    const missing = {
      send: () => Promise.reject(new ResourceNotFoundException({ message: 'no', $metadata: {} })),
    };
    const versions = createSecretsManagerKeyVersions(missing as never, 'test');
    assert.deepEqual(await versions.current('nobody'), { state: 'absent' });
    const clock = { now: 0 };
    const reader = createModelKeyKeyReader(missing as never, 'test', { now: () => clock.now });
    assert.equal(await reader(), undefined);
  });
});
