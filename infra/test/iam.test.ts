import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SERVICE_NAMES } from '@ocf/routing';
import { readAllowlist } from './support/allowlist.ts';
import { resourcesOf, sharedFleet, TEST_ENVIRONMENT, TEST_MODEL_ARNS } from './support/fleet.ts';
import { iamSnapshot, managedPolicySnapshot, type StatementSnapshot } from './support/iam-snapshot.ts';

const fleet = sharedFleet();
const roles = iamSnapshot(fleet);
const managedPolicies = managedPolicySnapshot(fleet);
const allowlist = readAllowlist();
const statements = (role: string): readonly StatementSnapshot[] => {
  const found = roles[role];
  assert.ok(found !== undefined, `no role ${role}`);
  return found.statements;
};
const grantsOf = (action: string) =>
  Object.entries(roles).flatMap(([role, snapshot]) =>
    snapshot.statements
      .filter((s) => s.effect === 'Allow' && s.actions.includes(action))
      .map((s) => ({ role, ...s })),
  );
const AGENT_SECRETS = `arn:aws:secretsmanager:us-east-1:\${AWS::AccountId}:secret:ocf/${TEST_ENVIRONMENT}/agents/*`;

describe('IAM', () => {
  it('matches the checked-in allow-list (iam-allowlist.json), role by role', () => {
    const hint =
      'IAM changed: if on purpose, run `pnpm --filter @ocf/infra iam:allowlist` and review the diff';
    assert.equal(allowlist.environment, TEST_ENVIRONMENT);
    assert.deepEqual(Object.keys(roles), Object.keys(allowlist.roles), `${hint} (roles added or removed)`);
    for (const [name, role] of Object.entries(roles))
      assert.deepEqual(role, allowlist.roles[name], `${hint}: ${name}`);
    assert.deepEqual(managedPolicies, allowlist.managedPolicies, `${hint} (managed policies)`);
  });

  it('lets outside publishers put only AgentHired / AgentRetired, and never under a fleet source', () => {
    // The only managed policy of the stack, and the only PutEvents grant outside the services.
    assert.deepEqual(Object.keys(managedPolicies), ['Events/HirePublishers']);
    assert.deepEqual(managedPolicies['Events/HirePublishers']?.statements, [
      {
        effect: 'Allow',
        actions: ['events:PutEvents'],
        resources: ['${Events/Bus.Arn}'],
        conditions: {
          StringEquals: { 'events:detail-type': ['AgentHired', 'AgentRetired'] },
          StringNotLike: { 'events:source': 'ocf.*' },
        },
      },
    ]);
    const puts = grantsOf('events:PutEvents').map((grant) => grant.role);
    assert.deepEqual(puts.sort(), SERVICE_NAMES.map((service) => `Services/${service}/TaskRole`).sort());
  });

  it("lets provisioning deregister only the agents' own task definition families", () => {
    const deregisters = grantsOf('ecs:DeregisterTaskDefinition');
    assert.deepEqual(
      deregisters.map((grant) => [grant.role, grant.actions, grant.resources]),
      [
        [
          'Services/provisioning/TaskRole',
          ['ecs:DeregisterTaskDefinition'],
          [`arn:aws:ecs:us-east-1:\${AWS::AccountId}:task-definition/ocf-${TEST_ENVIRONMENT}-agent-*:*`],
        ],
      ],
    );
  });

  it('has one task role per service, and no managed policies on any of them', () => {
    for (const service of SERVICE_NAMES) {
      const role = roles[`Services/${service}/TaskRole`];
      assert.ok(role !== undefined, service);
      assert.deepEqual(role.managedPolicies, [], service);
    }
  });

  it('gives the agent task role no permissions: models only through the gateway (ADR 0017)', () => {
    assert.deepEqual(statements('Agents/TaskRole'), []);
  });

  it('lets only the model gateway invoke a model, and only the configured ones', () => {
    for (const action of ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']) {
      assert.deepEqual(
        grantsOf(action).map((grant) => [grant.role, [...grant.resources].sort()]),
        [['Services/model-gateway/TaskRole', [...TEST_MODEL_ARNS].sort()]],
        action,
      );
    }
  });

  it("lets the model gateway describe agents' secrets (which version is current) and never read one", () => {
    const gateway = statements('Services/model-gateway/TaskRole').filter((s) =>
      s.actions.some((action) => action.startsWith('secretsmanager:')),
    );
    assert.deepEqual(
      gateway.map((s) => [s.actions, s.resources]),
      [
        [['secretsmanager:DescribeSecret'], [AGENT_SECRETS]],
        [
          ['secretsmanager:GetSecretValue'],
          [
            `arn:aws:secretsmanager:us-east-1:\${AWS::AccountId}:secret:ocf/${TEST_ENVIRONMENT}/model-gateway/agent-key-key-??????`,
          ],
        ],
      ],
    );
  });

  it("passes roles only to ECS tasks, and only the agents' two roles, and only provisioning", () => {
    const passes = grantsOf('iam:PassRole');
    assert.deepEqual(
      passes.map((grant) => [grant.role, grant.resources, grant.conditions]),
      [
        [
          'Services/provisioning/TaskRole',
          ['${Agents/ExecutionRole.Arn}', '${Agents/TaskRole.Arn}'],
          { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        ],
      ],
    );
  });

  it("reads agents' secrets only where they are needed; credentials writes them but never reads one", () => {
    const readers = grantsOf('secretsmanager:GetSecretValue').filter((grant) =>
      grant.resources.includes(AGENT_SECRETS),
    );
    // The agents' execution role resolves one secret per task (ADR 0008); the bridge sets Matrix passwords.
    assert.deepEqual(readers.map((grant) => grant.role).sort(), [
      'Agents/ExecutionRole',
      'Services/bridge/TaskRole',
    ]);
    // Credentials reads two secrets only: the keys it signs agents' directory tokens and model keys with.
    assert.ok(
      !statements('Services/credentials/TaskRole').some(
        (s) =>
          s.actions.includes('secretsmanager:GetSecretValue') &&
          s.resources.some(
            (r) =>
              !r.endsWith('/directory/agent-token-key-??????') &&
              !r.endsWith('/model-gateway/agent-key-key-??????'),
          ),
      ),
    );
  });

  it("lets provisioning describe agents' secrets (to check an event's secret ARN) and never read one", () => {
    const provisioning = statements('Services/provisioning/TaskRole').filter((s) =>
      s.actions.some((action) => action.startsWith('secretsmanager:')),
    );
    assert.deepEqual(
      provisioning.map((s) => [s.actions, s.resources]),
      [[['secretsmanager:DescribeSecret'], [AGENT_SECRETS]]],
    );
  });

  it('lets each service publish to the bus only under its own source', () => {
    for (const service of SERVICE_NAMES) {
      const puts = statements(`Services/${service}/TaskRole`).filter((s) =>
        s.actions.includes('events:PutEvents'),
      );
      assert.deepEqual(
        puts.map((s) => [s.resources, s.conditions]),
        [[['${Events/Bus.Arn}'], { StringEquals: { 'events:source': `ocf.${service}` } }]],
        service,
      );
    }
  });

  it('gives each service its own queue and dead-letter queue, and no other', () => {
    // Counting what waits on a queue (GetQueueAttributes, GetQueueUrl) is the one thing a service
    // may do on another's queue: the directory, for the cascade resync (ADR 0024).
    const counting = new Set(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl']);
    for (const service of SERVICE_NAMES) {
      const sqs = statements(`Services/${service}/TaskRole`).filter((s) =>
        s.actions.some((action) => action.startsWith('sqs:')),
      );
      const queues = sqs.filter((s) => s.actions.some((a) => !counting.has(a))).flatMap((s) => s.resources);
      assert.deepEqual(
        [...new Set(queues)].sort(),
        [`\${Events/${service}-dlq.Arn}`, `\${Events/${service}.Arn}`],
        service,
      );
      const countedOnly = sqs
        .filter((s) => s.actions.every((a) => counting.has(a)))
        .flatMap((s) => s.resources)
        .sort();
      assert.deepEqual(
        countedOnly,
        // Spelled out, not derived: a change to what the directory may count must show here.
        service === 'directory'
          ? ['bridge', 'credentials', 'health', 'provisioning'].map((q) => `\${Events/${q}.Arn}`)
          : [],
        `${service}: queues it may only count`,
      );
    }
  });

  it('lets only the directory and credentials read the agent-token key, and only credentials make it (ADR 0016)', () => {
    const keyArn = `arn:aws:secretsmanager:us-east-1:\${AWS::AccountId}:secret:ocf/${TEST_ENVIRONMENT}/directory/agent-token-key-AbCdEf`;
    // An IAM resource pattern as a regular expression: `*` any run, `?` one character.
    const matches = (pattern: string) =>
      pattern === '*' ||
      new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      ).test(keyArn);
    const rolesThatMay = (action: string) =>
      [
        ...new Set(
          grantsOf(action)
            .filter((g) => g.resources.some(matches))
            .map((g) => g.role),
        ),
      ].sort();
    assert.deepEqual(rolesThatMay('secretsmanager:GetSecretValue'), [
      'Services/credentials/TaskRole',
      'Services/directory/TaskRole',
    ]);
    assert.deepEqual(rolesThatMay('secretsmanager:CreateSecret'), ['Services/credentials/TaskRole']);
    assert.deepEqual(rolesThatMay('secretsmanager:PutSecretValue'), []);
    // Agents' own secrets stay out of the directory's reach.
    assert.ok(
      !statements('Services/directory/TaskRole').some((s) => s.resources.some((r) => r.includes('/agents/'))),
    );
  });

  it('grants no wildcard actions', () => {
    for (const [role, snapshot] of Object.entries(roles)) {
      for (const statement of snapshot.statements) {
        assert.ok(
          !statement.actions.some((action) => action.includes('*')),
          `${role}: ${statement.actions.join(',')}`,
        );
      }
    }
  });

  it("lets only this account's ECS tasks assume task and execution roles", () => {
    const ecsRoles = Object.entries(roles).filter(([, role]) =>
      JSON.stringify(role.assumedBy).includes('ecs-tasks.amazonaws.com'),
    );
    assert.ok(ecsRoles.length >= 16, 'six services and the homeserver (task + execution), and the agents');
    for (const [name, role] of ecsRoles) {
      assert.deepEqual(
        role.assumedBy,
        [
          {
            Action: 'sts:AssumeRole',
            Condition: {
              ArnLike: { 'aws:SourceArn': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:*' },
              StringEquals: { 'aws:SourceAccount': '${AWS::AccountId}' },
            },
            Effect: 'Allow',
            Principal: { Service: 'ecs-tasks.amazonaws.com' },
          },
        ],
        name,
      );
    }
  });

  it("keeps each file system to its own tasks' role, through access points, over TLS", () => {
    const systems = resourcesOf(fleet.json, 'AWS::EFS::FileSystem').map(([, fs]) => fs.Properties);
    assert.equal(systems.length, 2);
    for (const system of systems) {
      assert.equal(system['Encrypted'], true);
      const [allow, deny] = (system['FileSystemPolicy'] as { Statement: Record<string, unknown>[] })
        .Statement as [Record<string, unknown>, Record<string, unknown>];
      assert.deepEqual(allow['Action'], ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']);
      assert.match(JSON.stringify(allow['Principal']), /TaskRole/);
      assert.match(JSON.stringify(allow['Condition']), /elasticfilesystem:AccessPointArn/);
      assert.deepEqual(deny['Condition'], { Bool: { 'aws:SecureTransport': 'false' } });
    }
  });
});
