import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AGENT_SECRET_TAG_KEYS, type DescribedSecret } from '@ocf/secrets';
import { TransientError } from '@ocf/errors';
import { createAgentSecretCheck, ForeignSecretError } from '../src/secret-check.ts';
import { provisioningHarness } from './support/harness.ts';

const ARN = (name: string, suffix = 'a1B2c3') =>
  `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-${suffix}`;
const ADA = ARN('ocf/test/agents/ada');
const GRACE = ARN('ocf/test/agents/grace');

function described(arn: string, name: string, agentId: string, environment = 'test'): DescribedSecret {
  return {
    arn,
    name,
    tags: [
      { Key: AGENT_SECRET_TAG_KEYS.agentId, Value: agentId },
      { Key: AGENT_SECRET_TAG_KEYS.environment, Value: environment },
      { Key: AGENT_SECRET_TAG_KEYS.managedBy, Value: 'credentials' },
    ],
  };
}

function check(secrets: Record<string, DescribedSecret>) {
  const looked: string[] = [];
  const secretCheck = createAgentSecretCheck({
    environment: 'test',
    describe: (arn) => {
      looked.push(arn);
      return Promise.resolve(secrets[arn]);
    },
  });
  return { secretCheck, looked };
}

const refusal = (pattern: RegExp) => (error: unknown) =>
  error instanceof ForeignSecretError &&
  error.code === 'AGENT_SECRET_MISMATCH' &&
  !error.retryable &&
  error.field === 'data.secretArn' &&
  pattern.test(error.message);

describe('the agent secret check', () => {
  it("accepts the agent's own secret, by name and by description", async () => {
    const { secretCheck } = check({ [ADA]: described(ADA, 'ocf/test/agents/ada', 'ada') });
    await secretCheck.assertOwn('ada', ADA);
  });

  it("refuses another agent's secret by name, without asking Secrets Manager", async () => {
    const { secretCheck, looked } = check({ [GRACE]: described(GRACE, 'ocf/test/agents/grace', 'grace') });
    await assert.rejects(
      secretCheck.assertOwn('ada', GRACE),
      refusal(/names secret "ocf\/test\/agents\/grace", but agent ada's secret is "ocf\/test\/agents\/ada"/),
    );
    assert.deepEqual(looked, []);
  });

  it('refuses another environment, a partial ARN and something that is no secret ARN', async () => {
    const { secretCheck } = check({});
    for (const arn of [
      ARN('ocf/prod/agents/ada'),
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/ada',
      'arn:aws:ssm:us-east-1:123456789012:parameter/ocf/test/agents/ada-a1B2c3',
    ]) {
      await assert.rejects(secretCheck.assertOwn('ada', arn), refusal(/agent ada's secret is/), arn);
    }
  });

  it('refuses a secret whose tags name another agent or environment', async () => {
    const { secretCheck } = check({ [ADA]: described(ADA, 'ocf/test/agents/ada', 'grace') });
    await assert.rejects(secretCheck.assertOwn('ada', ADA), refusal(/tagged ocf:agent-id=grace, not ada/));
    const other = check({ [ADA]: described(ADA, 'ocf/test/agents/ada', 'ada', 'prod') });
    await assert.rejects(
      other.secretCheck.assertOwn('ada', ADA),
      refusal(/tagged ocf:environment=prod, not test/),
    );
    const untagged = check({ [ADA]: { arn: ADA, name: 'ocf/test/agents/ada', tags: [] } });
    await assert.rejects(untagged.secretCheck.assertOwn('ada', ADA), refusal(/ocf:agent-id=\(none\)/));
  });

  it('refuses an ARN that resolves to another secret: a partial ARN of agent "ada-a1b2c3"', async () => {
    // `…agents/ada-a1b2c3` reads by name as a full ARN of ada's secret; Secrets Manager knows better.
    const partial = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/ada-a1b2c3';
    const { secretCheck } = check({
      [partial]: described(
        ARN('ocf/test/agents/ada-a1b2c3', 'Zz9Yy8'),
        'ocf/test/agents/ada-a1b2c3',
        'ada-a1b2c3',
      ),
    });
    await assert.rejects(
      secretCheck.assertOwn('ada', partial),
      refusal(/resolves to secret "ocf\/test\/agents\/ada-a1b2c3"/),
    );
  });

  it('refuses a secret Secrets Manager does not know; passes its transient failures on as retryable', async () => {
    const { secretCheck } = check({});
    await assert.rejects(secretCheck.assertOwn('ada', ADA), refusal(/no such secret/));
    const flaky = createAgentSecretCheck({
      environment: 'test',
      describe: () => Promise.reject(new TransientError('SECRET_DESCRIBE_FAILED', 'DescribeSecret failed')),
    });
    await assert.rejects(flaky.assertOwn('ada', ADA), (error: unknown) => error instanceof TransientError);
  });
});

describe('provisioning handlers with a foreign secret ARN', () => {
  for (const type of ['CredentialsIssued', 'CredentialsRotated'] as const) {
    it(`${type} naming another agent's secret is refused and records nothing`, async () => {
      const h = provisioningHarness();
      await h.hireReady('ada');
      const before = await h.store.get('ada');
      h.triggers.length = 0;
      const data =
        type === 'CredentialsIssued'
          ? { agentId: 'ada', secretArn: GRACE, restored: false }
          : { agentId: 'ada', secretArn: GRACE, versionId: 'v2' };
      await assert.rejects(
        h.deliver(type, data, { at: new Date(h.clock.now + 60_000) }),
        refusal(/agent ada's secret is "ocf\/test\/agents\/ada"/),
      );
      assert.deepEqual(await h.store.get('ada'), before);
      assert.deepEqual(h.triggers, []);
    });
  }
});
