import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AGENT_SECRET_TAG_KEYS,
  agentSecretName,
  foreignSecretArnReason,
  foreignSecretDescriptionReason,
  secretNameOfArn,
} from '../src/index.ts';

const arn = (name: string, suffix = 'a1B2c3') =>
  `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-${suffix}`;

describe('agent secret ownership', () => {
  it('reads the name out of a full secret ARN, and nothing out of anything else', () => {
    assert.equal(secretNameOfArn(arn('ocf/prod/agents/ada')), 'ocf/prod/agents/ada');
    assert.equal(
      secretNameOfArn(arn('ocf/prod/agents/ada-lovelace', 'Zz9Yy8')),
      'ocf/prod/agents/ada-lovelace',
    );
    assert.equal(
      secretNameOfArn('arn:aws:secretsmanager:eu-west-1:123456789012:secret:short-abc'),
      undefined,
    );
    assert.equal(secretNameOfArn('arn:aws:s3:::bucket/ocf/prod/agents/ada-a1B2c3'), undefined);
    assert.equal(secretNameOfArn(''), undefined);
  });

  it("accepts exactly the agent's own secret by name", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
        fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
        fc.stringMatching(/^[A-Za-z0-9]{6}$/),
        (agentId, other, suffix) => {
          const own = arn(agentSecretName('prod', agentId), suffix);
          assert.equal(foreignSecretArnReason(own, 'prod', agentId), undefined);
          if (other !== agentId) {
            assert.match(foreignSecretArnReason(own, 'prod', other) ?? '', /names secret/);
          }
          assert.match(
            foreignSecretArnReason(own, 'staging', agentId) ?? '',
            /but agent .* secret is "ocf\/staging/,
          );
        },
      ),
    );
  });

  it('checks the description: same ARN, same name, tags of the agent and environment', () => {
    const own = arn('ocf/prod/agents/ada');
    const tags = [
      { Key: AGENT_SECRET_TAG_KEYS.agentId, Value: 'ada' },
      { Key: AGENT_SECRET_TAG_KEYS.environment, Value: 'prod' },
    ];
    assert.equal(
      foreignSecretDescriptionReason(own, { arn: own, name: 'ocf/prod/agents/ada', tags }, 'prod', 'ada'),
      undefined,
    );
    assert.match(
      foreignSecretDescriptionReason(
        own,
        { arn: arn('ocf/prod/agents/ada', 'Qq1Ww2'), name: 'ocf/prod/agents/ada', tags },
        'prod',
        'ada',
      ) ?? '',
      /resolves to secret/,
    );
    assert.match(
      foreignSecretDescriptionReason(
        own,
        { arn: own, name: 'ocf/prod/agents/ada', tags: tags.slice(1) },
        'prod',
        'ada',
      ) ?? '',
      /tagged ocf:agent-id=\(none\), not ada/,
    );
  });
});
