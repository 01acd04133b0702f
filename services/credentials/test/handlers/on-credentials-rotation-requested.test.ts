import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAgentSecretValue, verifyAgentModelKey } from '@ocf/secrets';
import { requestToken } from '../../src/domain/request-token.ts';
import { credentialsHarness, hired, MODEL_KEY_KEY } from '../support/harness.ts';

const NAME = 'ocf/test/agents/ada';

async function hiredAgent() {
  const h = credentialsHarness();
  await h.deliver(h.event('AgentHired', hired('ada')));
  return h;
}

function versionsOf(h: Awaited<ReturnType<typeof hiredAgent>>): number {
  return h.store.secrets.get(NAME)?.versions.size ?? 0;
}

function currentVersionOf(h: Awaited<ReturnType<typeof hiredAgent>>): string | undefined {
  const versions = [...(h.store.secrets.get(NAME)?.versions.entries() ?? [])];
  return versions.find(([, version]) => version.labels.includes('AWSCURRENT'))?.[0];
}

describe('on CredentialsRotationRequested', () => {
  it('writes a new current value and publishes its version id', async () => {
    const h = await hiredAgent();
    const before = currentVersionOf(h);
    h.clock.now = new Date('2026-12-01T08:00:00.000Z');
    const request = h.event('CredentialsRotationRequested', { agentId: 'ada', reason: 'Quarterly rotation' });

    await h.deliver(request);
    const after = parseAgentSecretValue(h.store.currentValue(NAME)!);
    assert.notEqual(currentVersionOf(h), before, 'a new current version');
    assert.equal(after.issuedAt, '2026-12-01T08:00:00.000Z');
    // The rotation also writes the agent's directory token: how a secret from before tokens gets one.
    assert.match(after.directory?.token.reveal() ?? '', /^ocfa_ada\./);
    // And a new model key, naming the new version: the old key names a version that is no longer current.
    assert.deepEqual(verifyAgentModelKey(MODEL_KEY_KEY, 'test', after.model?.key.reveal() ?? ''), {
      agentId: 'ada',
      versionId: requestToken('rotate', request.metadata.eventId),
    });
    assert.deepEqual(
      h.publishedOf('CredentialsRotated').map((e) => e.data),
      [
        {
          agentId: 'ada',
          secretArn: h.store.secrets.get(NAME)?.arn,
          versionId: requestToken('rotate', request.metadata.eventId),
        },
      ],
    );
  });

  it('writes exactly one version per request, however often it is delivered', async () => {
    const h = await hiredAgent();
    const request = h.event('CredentialsRotationRequested', { agentId: 'ada' });
    for (let delivery = 1; delivery <= 3; delivery++) await h.deliver(request, { receiveCount: delivery });
    assert.equal(versionsOf(h), 2);
    assert.equal(new Set(h.publishedOf('CredentialsRotated').map((e) => e.data.versionId)).size, 1);

    await h.deliver(h.event('CredentialsRotationRequested', { agentId: 'ada' }));
    assert.equal(versionsOf(h), 3, 'another request is another version');
  });

  it('recovers from a crash between writing the version and publishing', async () => {
    const h = await hiredAgent();
    const request = h.event('CredentialsRotationRequested', { agentId: 'ada' });
    h.failPublishes(1);
    await h.deliverExpectingFailure(request);
    await h.deliver(request, { receiveCount: 2 });
    assert.equal(versionsOf(h), 2);
    assert.equal(h.publishedOf('CredentialsRotated').length, 1);
  });

  it('stays silent when a redelivered request was overtaken by later rotations', async () => {
    const h = await hiredAgent();
    const first = h.event('CredentialsRotationRequested', { agentId: 'ada' });
    await h.deliver(first);
    await h.deliver(h.event('CredentialsRotationRequested', { agentId: 'ada' }));
    const current = h.store.currentValue(NAME);

    // Its version is now AWSPREVIOUS: reporting it would send the bridge back to an old password.
    await h.deliver(first, { receiveCount: 2 });
    // After one more rotation it carries no label, and Secrets Manager no longer lists it.
    await h.deliver(h.event('CredentialsRotationRequested', { agentId: 'ada' }));
    const newest = h.store.currentValue(NAME);
    await h.deliver(first, { receiveCount: 3 });

    assert.equal(h.publishedOf('CredentialsRotated').length, 3, 'one per request, none for the repeats');
    assert.notEqual(newest, current);
    assert.equal(h.store.currentValue(NAME), newest, 'the repeats changed nothing');
    assert.equal(versionsOf(h), 4);
  });

  it('waits for a secret that does not exist yet: its hire may still be on the way', async () => {
    const h = credentialsHarness({ maxAttempts: 5 });
    const request = h.event('CredentialsRotationRequested', { agentId: 'ada' });
    const error = await h.deliverExpectingFailure(request);
    assert.equal((error as { code?: string }).code, 'SECRET_NOT_ISSUED_YET');
    assert.equal((error as { retryable?: boolean }).retryable, true);
    assert.equal(h.published.length, 0);

    await h.deliver(h.event('AgentHired', hired('ada')));
    await h.deliver(request, { receiveCount: 2 });
    assert.equal(h.publishedOf('CredentialsRotated').length, 1);
  });

  it("refuses to rotate a retired agent's secret, and says why", async () => {
    const h = await hiredAgent();
    await h.deliver(h.event('AgentRetired', { agentId: 'ada' }));
    const error = await h.deliverExpectingFailure(
      h.event('CredentialsRotationRequested', { agentId: 'ada' }),
    );
    assert.equal((error as { retryable?: boolean }).retryable, false);
    assert.equal(versionsOf(h), 1);
    const [failed] = h.publishedOf('CascadeStepFailed');
    assert.equal(failed?.data.step, 'credentials');
    assert.match(failed.data.reason, /agent ada is retired/);
  });
});
