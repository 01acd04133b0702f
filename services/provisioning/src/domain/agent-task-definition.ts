import { createHash } from 'node:crypto';
import type {
  ContainerDefinition,
  RegisterTaskDefinitionCommandInput,
  TaskDefinition,
  Volume,
} from '@aws-sdk/client-ecs';

/** The volume every agent's private storage is mounted from. */
export const AGENT_STORAGE_VOLUME = 'agent-storage';

/** Tag keys on everything provisioning creates for an agent (tasks, task definitions, access points). */
export const TAGS = {
  agentId: 'ocf:agent-id',
  environment: 'ocf:environment',
  managedBy: 'ocf:managed-by',
  baseTaskDefinition: 'ocf:base-task-definition',
  spec: 'ocf:spec',
} as const;
export const MANAGED_BY = 'ocf-provisioning';

export interface AgentStorageRef {
  readonly fileSystemId: string;
  readonly accessPointId: string;
}

/**
 * The one ECS secret of the template's secret-init container (ADR 0008): its `valueFrom` is
 * replaced with the agent's own secret ARN, so ECS writes that agent's secret, and only it, into
 * the task. The agent container itself gets no secret and no ARN.
 */
export const AGENT_SECRET_VARIABLE = 'OCF_AGENT_SECRET';

export interface AgentTaskDefinitionInput {
  readonly agentId: string;
  readonly environment: string;
  /** The agent's secret (full ARN, with Secrets Manager's suffix). */
  readonly secretArn: string;
  /** The container that runs the agent: it gets the storage mount and the agent's settings. */
  readonly containerName: string;
  /** Where the agent's storage appears inside the container. */
  readonly mountPath: string;
  readonly storage: AgentStorageRef;
}

/**
 * An agent's own task definition family: `<base family>-<agent id>`. A family of its own (rather
 * than revisions in the base family) keeps "the latest revision of the base" meaning the one
 * infra deployed, and makes "this agent's definition" one DescribeTaskDefinition by name.
 */
export function agentTaskDefinitionFamily(baseFamily: string, agentId: string): string {
  return `${baseFamily}-${agentId}`;
}

/**
 * The agent's task definition: the base one (container image, roles, CPU, memory, logging, set
 * by infra) with the agent's EFS access point as a volume, mounted into the agent's container.
 * RunTask cannot override volumes or mount points, so per-agent storage needs a definition per
 * agent (ADR 0010). The same definition points the template's secret-init container at the
 * agent's secret (ADR 0008). Transit encryption and IAM authorisation are on: the task role must be allowed
 * to mount through that access point, and nothing else can reach the agent's directory.
 *
 * `spec` is a hash of everything but the tags: the same base and storage give the same spec, so
 * provisioning registers a new revision only when something changed.
 */
export function agentTaskDefinition(
  base: TaskDefinition,
  input: AgentTaskDefinitionInput,
): { request: RegisterTaskDefinitionCommandInput; spec: string } {
  if (base.family === undefined || base.taskDefinitionArn === undefined) {
    throw new Error('the base task definition has no family or ARN');
  }
  const containers = base.containerDefinitions ?? [];
  if (!containers.some((c) => c.name === input.containerName)) {
    throw new Error(
      `the base task definition ${base.taskDefinitionArn} has no container "${input.containerName}"`,
    );
  }
  const volume: Volume = {
    name: AGENT_STORAGE_VOLUME,
    efsVolumeConfiguration: {
      fileSystemId: input.storage.fileSystemId,
      // With an access point the root must be "/": the access point's own root applies.
      rootDirectory: '/',
      transitEncryption: 'ENABLED',
      authorizationConfig: { accessPointId: input.storage.accessPointId, iam: 'ENABLED' },
    },
  };
  const containerDefinitions: ContainerDefinition[] = containers.map((container) => {
    const secrets = container.secrets?.map((secret) =>
      secret.name === AGENT_SECRET_VARIABLE ? { ...secret, valueFrom: input.secretArn } : secret,
    );
    const withSecret = secrets === undefined ? container : { ...container, secrets };
    return container.name !== input.containerName
      ? withSecret
      : {
          ...withSecret,
          mountPoints: [
            ...(container.mountPoints ?? []).filter((m) => m.sourceVolume !== AGENT_STORAGE_VOLUME),
            { sourceVolume: AGENT_STORAGE_VOLUME, containerPath: input.mountPath, readOnly: false },
          ],
        };
  });
  const body: Omit<RegisterTaskDefinitionCommandInput, 'tags'> = {
    family: agentTaskDefinitionFamily(base.family, input.agentId),
    containerDefinitions,
    volumes: [...(base.volumes ?? []).filter((v) => v.name !== AGENT_STORAGE_VOLUME), volume],
    ...pick(base, [
      'taskRoleArn',
      'executionRoleArn',
      'networkMode',
      'placementConstraints',
      'requiresCompatibilities',
      'cpu',
      'memory',
      'pidMode',
      'ipcMode',
      'proxyConfiguration',
      'inferenceAccelerators',
      'ephemeralStorage',
      'runtimePlatform',
    ]),
  };
  const spec = createHash('sha256').update(stableJson(body)).digest('hex').slice(0, 32);
  return {
    spec,
    request: {
      ...body,
      tags: [
        { key: TAGS.agentId, value: input.agentId },
        { key: TAGS.environment, value: input.environment },
        { key: TAGS.managedBy, value: MANAGED_BY },
        { key: TAGS.baseTaskDefinition, value: base.taskDefinitionArn },
        { key: TAGS.spec, value: spec },
      ],
    },
  };
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const result: Partial<Pick<T, K>> = {};
  for (const key of keys) {
    const value = source[key];
    const empty = value === undefined || value === null || (Array.isArray(value) && value.length === 0);
    if (!empty) result[key] = value;
  }
  return result;
}

/** JSON with sorted keys, so the same definition always hashes the same. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The template resolves the agent's secret into a file (ADR 0008); otherwise the agent gets its ARN. */
export function resolvesSecretItself(base: TaskDefinition): boolean {
  return (base.containerDefinitions ?? []).some((c) =>
    c.secrets?.some((s) => s.name === AGENT_SECRET_VARIABLE),
  );
}
