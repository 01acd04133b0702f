import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SERVICE_NAMES, fleetRouting } from '@ocf/routing';
import { AGENT_TEMPLATE } from '../src/index.ts';
import { joinedText, resourcesOf, sharedFleet, TEST_ENVIRONMENT } from './support/fleet.ts';

const fleet = sharedFleet();
const routing = fleetRouting(TEST_ENVIRONMENT);

interface Container {
  readonly Name: string;
  readonly Essential?: boolean;
  readonly User?: string;
  readonly ReadonlyRootFilesystem?: boolean;
  readonly LinuxParameters?: { Capabilities?: { Drop?: string[]; Add?: string[] } };
  readonly Environment?: { Name: string; Value: unknown }[];
  readonly Secrets?: { Name: string; ValueFrom: unknown }[];
  readonly HealthCheck?: { Command: string[] };
  readonly LogConfiguration?: { LogDriver: string; Options: Record<string, unknown> };
  readonly MountPoints?: { SourceVolume: string; ContainerPath: string; ReadOnly: boolean }[];
  readonly DependsOn?: { ContainerName: string; Condition: string }[];
}
const taskDefinitions = new Map(
  resourcesOf(fleet.json, 'AWS::ECS::TaskDefinition').map(([, task]) => [
    task.Properties['Family'] as string,
    task.Properties,
  ]),
);
const containersOf = (family: string): Container[] => {
  const task = taskDefinitions.get(family);
  assert.ok(task !== undefined, `no task definition ${family}`);
  return task['ContainerDefinitions'] as Container[];
};
const everyContainer = [...taskDefinitions].flatMap(([family]) =>
  containersOf(family).map((container) => ({ family, container })),
);
const agentFamily = `${routing.prefix}-agent`;
const agentContainer = (name: string): Container => containersOf(agentFamily).find((c) => c.Name === name)!;

/**
 * A plain environment variable that looks like it carries a secret: named like one, with a literal
 * value that is not a reference to where the secret lives (a path, an ARN, an id), or any literal
 * value that looks like key material.
 */
export function looksLikeSecret(name: string, value: unknown): boolean {
  if (typeof value !== 'string') return false; // a CloudFormation reference: an ARN, an id, a name
  const secretName =
    /PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY|CREDENTIAL|SIGNING_?KEY/i;
  const reference = /_(ARN|FILE|ID|NAME|PATH|URL)$/i.test(name) && /^(arn:|\/|[\w.-]+$)/.test(value);
  const keyMaterial = /^[A-Za-z0-9+/_=-]{32,}$/.test(value);
  return (secretName.test(name) && !reference) || keyMaterial;
}

describe('containers', () => {
  it('the secret check flags what it must and lets references through', () => {
    assert.ok(looksLikeSecret('BRIDGE_AS_TOKEN', 'x'));
    assert.ok(looksLikeSecret('DB_PASSWORD', 'hunter2'));
    assert.ok(looksLikeSecret('OCF_AGENT_SECRET_FILE', 'hunter2 in a file name'));
    assert.ok(looksLikeSecret('SOME_SETTING', 'c2VjcmV0LXZhbHVlLXRoYXQtbG9va3MtcmFuZG9tLTEyMzQ1'));
    assert.ok(!looksLikeSecret('OCF_AGENT_SECRET_FILE', '/run/ocf/agent-secret/secret.json'));
    assert.ok(!looksLikeSecret('CREDENTIALS_KMS_KEY_ID', { 'Fn::GetAtt': ['Key', 'Arn'] }));
    assert.ok(!looksLikeSecret('MATRIX_SERVER_NAME', 'test.ocf.internal'));
  });

  it('has no container with a secret-looking plain environment variable', () => {
    for (const { family, container } of everyContainer) {
      for (const variable of container.Environment ?? []) {
        assert.ok(
          !looksLikeSecret(variable.Name, variable.Value),
          `${family}/${container.Name}: ${variable.Name}`,
        );
      }
    }
  });

  it('runs every task on ARM64 Fargate, the services small', () => {
    for (const [family, task] of taskDefinitions) {
      assert.deepEqual(
        task['RuntimePlatform'],
        { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
        family,
      );
      assert.deepEqual(task['RequiresCompatibilities'], ['FARGATE'], family);
    }
    for (const service of SERVICE_NAMES) {
      const task = taskDefinitions.get(`${routing.prefix}-${service}`)!;
      assert.deepEqual([task['Cpu'], task['Memory']], ['256', '512'], service);
    }
  });

  it('runs every container as a non-root user, on a read-only root, with all capabilities dropped', () => {
    assert.equal(
      everyContainer.length,
      SERVICE_NAMES.length + 4,
      'the services, Synapse, Element, the agent and its secret-init',
    );
    for (const { family, container } of everyContainer) {
      const where = `${family}/${container.Name}`;
      assert.ok(container.User !== undefined && !/^(root|0)(:|$)/.test(container.User), `${where} user`);
      assert.equal(container.ReadonlyRootFilesystem, true, `${where} read-only root`);
      assert.deepEqual(container.LinuxParameters?.Capabilities, { Drop: ['ALL'] }, `${where} capabilities`);
    }
  });

  it('health-checks every essential container and logs every container to a group with retention', () => {
    const groups = new Map(
      resourcesOf(fleet.json, 'AWS::Logs::LogGroup').map(([id, group]) => [id, group.Properties]),
    );
    for (const { family, container } of everyContainer) {
      if (container.Essential !== false)
        assert.ok(container.HealthCheck !== undefined, `${family}/${container.Name}`);
      assert.equal(container.LogConfiguration?.LogDriver, 'awslogs');
      const group = container.LogConfiguration.Options['awslogs-group'] as { Ref: string };
      assert.ok(
        typeof groups.get(group.Ref)?.['RetentionInDays'] === 'number',
        `${family}/${container.Name} retention`,
      );
    }
    for (const [id, group] of groups) assert.ok(typeof group['RetentionInDays'] === 'number', id);
  });

  it('starts each service with its own command from the one services image', () => {
    for (const service of SERVICE_NAMES) {
      const [container] = containersOf(`${routing.prefix}-${service}`) as [Container & { Command: string[] }];
      assert.deepEqual(container.Command, ['node', `services/${service}/src/main.ts`]);
    }
  });
});

describe('the agent task template', () => {
  it('gives the agent container no secrets and no platform settings, its secret only as a file', () => {
    const agent = agentContainer(AGENT_TEMPLATE.agentContainer);
    assert.equal(agent.Secrets, undefined);
    assert.ok(
      agent.MountPoints?.some((m) => m.ContainerPath === AGENT_TEMPLATE.secretDirectory && m.ReadOnly),
      'the secret directory is read-only for the agent',
    );
    assert.deepEqual(agent.DependsOn, [
      { ContainerName: AGENT_TEMPLATE.secretInitContainer, Condition: 'SUCCESS' },
    ]);
    const names = (agent.Environment ?? []).map((variable) => variable.Name);
    assert.ok(
      !names.some((name) => /^(BRIDGE|CREDENTIALS|PROVISIONING|SYNAPSE)_/.test(name)),
      names.join(','),
    );
  });

  it("lets only its short-lived secret-init container hold the secret, and only from the agents' namespace", () => {
    const init = agentContainer(AGENT_TEMPLATE.secretInitContainer);
    assert.equal(init.Essential, false);
    assert.deepEqual(
      init.Secrets?.map((secret) => secret.Name),
      [AGENT_TEMPLATE.secretVariable],
    );
    // A placeholder no agent can own: provisioning points each agent's definition at its own secret.
    assert.match(
      joinedText(init.Secrets[0]?.ValueFrom),
      new RegExp(`:secret:ocf/${TEST_ENVIRONMENT}/agents/_template-`),
    );
  });

  it("mounts the agent's private storage from EFS with transit encryption and IAM authorization", () => {
    const volumes = taskDefinitions.get(agentFamily)!['Volumes'] as {
      Name: string;
      EFSVolumeConfiguration?: unknown;
    }[];
    const storage = volumes.find((volume) => volume.Name === AGENT_TEMPLATE.storageVolume);
    assert.deepEqual(
      JSON.parse(JSON.stringify(storage?.EFSVolumeConfiguration).replace(/"Ref":"[^"]+"/, '"Ref":"fs"')),
      { AuthorizationConfig: { IAM: 'ENABLED' }, FilesystemId: { Ref: 'fs' }, TransitEncryption: 'ENABLED' },
    );
    const agent = agentContainer(AGENT_TEMPLATE.agentContainer);
    assert.ok(
      agent.MountPoints?.some(
        (m) =>
          m.SourceVolume === AGENT_TEMPLATE.storageVolume && m.ContainerPath === AGENT_TEMPLATE.storagePath,
      ),
    );
  });
});
