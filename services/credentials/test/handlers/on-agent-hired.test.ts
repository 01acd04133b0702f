import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAgentSecretValue, verifyAgentDirectoryToken, verifyAgentModelKey } from '@ocf/secrets';
import { requestToken } from '../../src/domain/request-token.ts';
import { SecretConflictError, SecretStoreError } from '../../src/ports.ts';
import { credentialsHarness, hired, MODEL_KEY_KEY, TOKEN_KEY } from '../support/harness.ts';

const NAME = 'ocf/test/agents/ada';

describe('on AgentHired', () => {
  it("creates the agent's secret, tagged and encrypted, and publishes its ARN", async () => {
    const h = credentialsHarness({ kmsKeyId: 'alias/ocf-test' });
    const trigger = h.event('AgentHired', hired('ada'));
    await h.deliver(trigger);

    const secret = h.store.secrets.get(NAME);
    assert.ok(secret);
    assert.deepEqual(secret.tags, {
      'ocf:agent-id': 'ada',
      'ocf:environment': 'test',
      'ocf:managed-by': 'ocf-credentials',
    });
    assert.equal(secret.kmsKeyId, 'alias/ocf-test');
    const value = parseAgentSecretValue(h.store.currentValue(NAME)!);
    assert.equal(value.version, 1);
    assert.equal(value.issuedAt, '2026-11-25T10:00:00.000Z');
    assert.equal(value.matrix, undefined, "the Matrix part is the bridge's to add (ADR 0020)");
    // The agent's own read token for the directory, which the directory checks with the same key.
    const token = value.directory?.token.reveal() ?? '';
    assert.equal(verifyAgentDirectoryToken(TOKEN_KEY, 'test', token), 'ada');
    // Its model-gateway key, bound to the version it was written into (ADR 0017).
    const versionId = requestToken('issue', trigger.metadata.eventId);
    assert.deepEqual(verifyAgentModelKey(MODEL_KEY_KEY, 'test', value.model?.key.reveal() ?? ''), {
      agentId: 'ada',
      versionId,
    });
    assert.equal(secret.versions.has(versionId), true, 'the key names the version that holds it');

    const [issued, ...more] = h.published;
    assert.equal(more.length, 0);
    assert.equal(issued?.type, 'CredentialsIssued');
    assert.deepEqual(issued.data, { agentId: 'ada', secretArn: secret.arn, restored: false });
    assert.equal(issued.metadata.causationId, trigger.metadata.eventId);
    assert.equal(issued.metadata.correlationId, trigger.metadata.correlationId);
  });

  it('makes one secret of a hire delivered three times, and reports the same ARN each time', async () => {
    const h = credentialsHarness();
    const trigger = h.event('AgentHired', hired('ada'));
    for (let delivery = 1; delivery <= 3; delivery++) await h.deliver(trigger, { receiveCount: delivery });
    // Another system hiring the same agent (another event id) changes nothing either.
    await h.deliver(h.event('AgentHired', hired('ada')));

    assert.equal(h.store.secrets.size, 1);
    assert.equal(h.store.calls.filter((call) => call === 'create').length, 1);
    const arns = h.publishedOf('CredentialsIssued').map((e) => e.data.secretArn);
    assert.equal(arns.length, 4);
    assert.equal(new Set(arns).size, 1);
  });

  it('recovers from a crash between creating the secret and publishing', async () => {
    const h = credentialsHarness();
    const trigger = h.event('AgentHired', hired('ada'));
    h.failPublishes(1);
    const error = await h.deliverExpectingFailure(trigger);
    assert.equal((error as { retryable?: boolean }).retryable, true, 'a lost publish is worth a retry');
    assert.equal(h.store.secrets.size, 1);

    await h.deliver(trigger, { receiveCount: 2 });
    assert.equal(h.store.secrets.size, 1);
    assert.equal(h.store.secrets.get(NAME)?.versions.size, 1, 'the retry wrote no second value');
    assert.deepEqual(
      h.publishedOf('CredentialsIssued').map((e) => e.data),
      [{ agentId: 'ada', secretArn: h.store.secrets.get(NAME)?.arn, restored: false }],
    );
  });

  it("restores a re-hired agent's secret that is scheduled for deletion", async () => {
    const h = credentialsHarness();
    await h.deliver(h.event('AgentHired', hired('ada')));
    const arn = h.store.secrets.get(NAME)?.arn;
    await h.deliver(h.event('AgentRetired', { agentId: 'ada' }));
    assert.ok(h.store.secrets.get(NAME)?.deletionDate);

    await h.deliver(h.event('AgentHired', hired('ada')));
    assert.equal(h.store.secrets.get(NAME)?.deletionDate, undefined);
    assert.equal(h.store.calls.filter((call) => call === 'create').length, 1, 'restored, not created');
    assert.deepEqual(h.publishedOf('CredentialsIssued').at(-1)?.data, {
      agentId: 'ada',
      secretArn: arn,
      restored: true,
    });
  });

  it('creates a new secret when the old one is past its recovery window', async () => {
    const h = credentialsHarness();
    await h.deliver(h.event('AgentHired', hired('ada')));
    const oldArn = h.store.secrets.get(NAME)?.arn;
    await h.deliver(h.event('AgentRetired', { agentId: 'ada' }));
    h.store.expireDeletion(NAME);

    await h.deliver(h.event('AgentHired', hired('ada')));
    const issued = h.publishedOf('CredentialsIssued').at(-1);
    assert.equal(issued?.data.restored, false);
    assert.notEqual(issued.data.secretArn, oldArn);
  });

  it('reads again when the secret changes between its read and its write', async () => {
    const h = credentialsHarness();
    h.store.failNext('create', new SecretConflictError('exists', 'CreateSecret: it already exists'));
    await h.deliver(h.event('AgentHired', hired('ada')));
    assert.deepEqual(h.store.calls, ['describe', 'create', 'describe', 'create']);
    assert.equal(h.publishedOf('CredentialsIssued').length, 1);
  });

  it('retries a transient failure quietly, and reports CascadeStepFailed at the last attempt', async () => {
    const h = credentialsHarness({ maxAttempts: 3 });
    const trigger = h.event('AgentHired', hired('ada'));
    const throttled = () =>
      new SecretStoreError('CreateSecret of ocf/test/agents/ada failed (transient): ThrottlingException', {
        retryable: true,
      });

    h.store.failNext('create', throttled());
    const first = await h.deliverExpectingFailure(trigger, { receiveCount: 1 });
    assert.ok(first instanceof SecretStoreError);
    assert.equal(first.retryable, true);
    assert.equal(h.published.length, 0, 'nothing to report while retries remain');

    h.store.failNext('create', throttled());
    await h.deliverExpectingFailure(trigger, { receiveCount: 3 });
    assert.deepEqual(
      h.publishedOf('CascadeStepFailed').map((e) => e.data),
      [
        {
          agentId: 'ada',
          step: 'credentials',
          reason: 'CreateSecret of ocf/test/agents/ada failed (transient): ThrottlingException',
        },
      ],
    );
  });

  it('gives up at once on a permanent failure, with the reason', async () => {
    const h = credentialsHarness();
    h.store.failNext(
      'create',
      new SecretStoreError(
        'CreateSecret of ocf/test/agents/ada failed: AccessDeniedException: not authorized',
        {
          retryable: false,
        },
      ),
    );
    const error = await h.deliverExpectingFailure(h.event('AgentHired', hired('ada')));
    assert.ok(error instanceof SecretStoreError);
    assert.equal(error.retryable, false, 'the consumer dead-letters it');
    const [failed] = h.publishedOf('CascadeStepFailed');
    assert.equal(failed?.data.step, 'credentials');
    assert.match(failed.data.reason, /AccessDeniedException/);
    assert.equal(h.publishedOf('CredentialsIssued').length, 0);
  });

  it('gives up on a conflict that outlasts fresh reads', async () => {
    const h = credentialsHarness();
    h.store.failNext(
      'create',
      new SecretConflictError('wrong-state', 'CreateSecret: managed by another service'),
      3,
    );
    const error = await h.deliverExpectingFailure(h.event('AgentHired', hired('ada')));
    assert.ok(error instanceof SecretConflictError);
    assert.equal(error.retryable, false);
    assert.equal(h.store.calls.filter((call) => call === 'create').length, 3);
    assert.equal(h.publishedOf('CascadeStepFailed').length, 1);
  });
});
