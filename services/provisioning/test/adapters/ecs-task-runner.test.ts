import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs';
import { createEcsTaskRunner } from '../../src/adapters/ecs-task-runner.ts';
import type { EfsAgentStorage } from '../../src/adapters/efs-agent-storage.ts';
import { TaskRunnerError } from '../../src/ports.ts';

const BASE = {
  family: 'ocf-test-agent',
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/ocf-test-agent:3',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  containerDefinitions: [{ name: 'agent', image: 'agent:1', essential: true }],
};

/** An ECS client that answers from a script and records what it was asked. */
function fakeEcs(runTask: (input: RunTaskCommandInput) => unknown) {
  const sent: { name: string; input: unknown }[] = [];
  return {
    sent,
    send(command: { constructor: { name: string }; input: unknown }) {
      sent.push({ name: command.constructor.name, input: command.input });
      if (command instanceof DescribeTaskDefinitionCommand) {
        const family = (command.input as { taskDefinition: string }).taskDefinition;
        if (family === BASE.family) return Promise.resolve({ taskDefinition: BASE });
        return Promise.reject(
          Object.assign(new Error('Unable to describe task definition.'), {
            name: 'ClientException',
            $metadata: { httpStatusCode: 400 },
          }),
        );
      }
      if (command instanceof RegisterTaskDefinitionCommand) {
        return Promise.resolve({
          taskDefinition: {
            taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/ocf-test-agent-ada:1',
          },
        });
      }
      if (command instanceof RunTaskCommand) return Promise.resolve(runTask(command.input));
      if (command instanceof ListTasksCommand)
        return Promise.resolve({ taskArns: ['arn:task/1', 'arn:task/2', 'arn:task/3'] });
      if (command instanceof DescribeTasksCommand) {
        return Promise.resolve({
          tasks: [
            {
              taskArn: 'arn:task/1',
              lastStatus: 'RUNNING',
              startedBy: 'ocf-provisioning',
              tags: [{ key: 'ocf:agent-id', value: 'ada' }],
            },
            // Described without its tags (an emulator quirk): known by its own task definition.
            {
              taskArn: 'arn:task/2',
              lastStatus: 'PENDING',
              startedBy: 'ocf-provisioning',
              taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/ocf-test-agent-bob:4',
            },
            {
              taskArn: 'arn:task/3',
              lastStatus: 'RUNNING',
              startedBy: 'ocf-provisioning',
              taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/other:1',
            },
          ],
        });
      }
      return Promise.reject(new Error(`unexpected ${command.constructor.name}`));
    },
  };
}

const storage: EfsAgentStorage = {
  ensure: () => Promise.resolve({ fileSystemId: 'fs-1', accessPointId: 'fsap-1' }),
  release: () => Promise.resolve({ archiveLocation: 'efs://fs-1/agents/ada' }),
  find: () => Promise.resolve(undefined),
};

function runnerWith(ecs: ReturnType<typeof fakeEcs>) {
  return createEcsTaskRunner({
    ecs: ecs as never,
    storage,
    environment: 'test',
    cluster: 'ocf-test-agents',
    baseTaskDefinition: BASE.family,
    mountPath: '/agent-data',
    subnets: ['subnet-private-a', 'subnet-private-b'],
    securityGroups: ['sg-agents'],
  });
}

describe('ECS task runner', () => {
  it('starts one task per call, private, tagged, idempotent by clientToken, with the secret ARN only', async () => {
    const ecs = fakeEcs(() => ({ tasks: [{ taskArn: 'arn:task/1' }], failures: [] }));
    const { taskArn } = await runnerWith(ecs).launch({
      agentId: 'ada',
      clientToken: 'ocf-token',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/ada-a1B2c3',
    });
    assert.equal(taskArn, 'arn:task/1');
    const run = ecs.sent.find((c) => c.name === 'RunTaskCommand')?.input as RunTaskCommandInput;
    assert.equal(run.count, 1, 'at most 10 per call; one, because tags and overrides are per call');
    assert.equal(run.clientToken, 'ocf-token');
    assert.equal(run.launchType, 'FARGATE');
    assert.deepEqual(run.networkConfiguration?.awsvpcConfiguration, {
      subnets: ['subnet-private-a', 'subnet-private-b'],
      securityGroups: ['sg-agents'],
      assignPublicIp: 'DISABLED',
    });
    assert.equal(
      run.taskDefinition,
      'arn:aws:ecs:us-east-1:123456789012:task-definition/ocf-test-agent-ada:1',
    );
    assert.deepEqual(
      run.tags?.find((t) => t.key === 'ocf:agent-id'),
      { key: 'ocf:agent-id', value: 'ada' },
    );
    const variables = run.overrides?.containerOverrides?.[0]?.environment ?? [];
    assert.deepEqual(
      variables.map((v) => v.name),
      ['OCF_ENV', 'OCF_AGENT_ID', 'OCF_AGENT_SECRET_ARN', 'OCF_AGENT_DATA_DIR'],
    );
    assert.ok(!JSON.stringify(run).toLowerCase().includes('password'));
  });

  it('reports throttling as throttled, and a refusal as permanent', async () => {
    const throttled = fakeEcs(() =>
      Promise.reject(
        Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
        }),
      ),
    );
    await assert.rejects(
      runnerWith(throttled).launch({
        agentId: 'ada',
        clientToken: 't',
        secretArn: 'arn:aws:x:y:z:123456789012:s',
      }),
      (error: unknown) => error instanceof TaskRunnerError && error.throttled && error.retryable,
    );
    const refused = fakeEcs(() =>
      Promise.reject(
        Object.assign(new Error('subnet not found'), {
          name: 'InvalidParameterException',
          $metadata: { httpStatusCode: 400 },
        }),
      ),
    );
    await assert.rejects(
      runnerWith(refused).launch({
        agentId: 'ada',
        clientToken: 't',
        secretArn: 'arn:aws:x:y:z:123456789012:s',
      }),
      (error: unknown) => error instanceof TaskRunnerError && !error.throttled && !error.retryable,
    );
    const noCapacity = fakeEcs(() => ({ tasks: [], failures: [{ reason: 'RESOURCE:MEMORY' }] }));
    await assert.rejects(
      runnerWith(noCapacity).launch({
        agentId: 'ada',
        clientToken: 't',
        secretArn: 'arn:aws:x:y:z:123456789012:s',
      }),
      (error: unknown) =>
        error instanceof TaskRunnerError && error.retryable && /RESOURCE:MEMORY/.test(error.message),
    );
  });

  it("lists its tasks with their agent ids, from the tag or else from the agent's own task definition", async () => {
    const ecs = fakeEcs(() => ({}));
    const observed = await runnerWith(ecs).observe();
    assert.deepEqual(
      observed.map((t) => [t.taskArn, t.agentId]),
      [
        ['arn:task/1', 'ada'],
        ['arn:task/2', 'bob'],
        ['arn:task/3', undefined],
      ],
    );
    const list = ecs.sent.find((c) => c.name === 'ListTasksCommand')?.input as {
      startedBy?: string;
      desiredStatus?: string;
    };
    // `startedBy` allows no other filter (the ECS API reference), and the emulator needs the
    // desired status: ours are picked from the description instead.
    assert.deepEqual([list.startedBy, list.desiredStatus], [undefined, 'RUNNING']);
  });

  it('describes a task until it is seen running, then only lists it while ListTasks does', async () => {
    const ecs = fakeEcs(() => ({}));
    const runner = runnerWith(ecs);
    const first = await runner.observe();
    const again = await runner.observe();
    assert.deepEqual(again, first);
    const described = ecs.sent
      .filter((c) => c.name === 'DescribeTasksCommand')
      .map((c) => (c.input as { tasks: string[] }).tasks);
    // The first pass describes all three; the second only the one still PENDING (task 3 runs,
    // but belongs to no agent of ours, so it is looked at again too).
    assert.deepEqual(described, [
      ['arn:task/1', 'arn:task/2', 'arn:task/3'],
      ['arn:task/2', 'arn:task/3'],
    ]);
  });

  it('describes a task someone else started in the cluster once, and never observes it', async () => {
    const ecs = fakeEcs(() => ({}));
    const othersTask = { taskArn: 'arn:task/4', lastStatus: 'RUNNING', startedBy: 'ecs-svc/1234' };
    const withOthers = {
      sent: ecs.sent,
      async send(command: { constructor: { name: string }; input: unknown }) {
        const answer = (await ecs.send(command)) as { taskArns?: string[]; tasks?: unknown[] };
        if (command instanceof ListTasksCommand)
          return { taskArns: [...(answer.taskArns ?? []), 'arn:task/4'] };
        if (command instanceof DescribeTasksCommand && command.input.tasks?.includes('arn:task/4'))
          return { tasks: [...(answer.tasks ?? []), othersTask] };
        return answer;
      },
    };
    const runner = runnerWith(withOthers);
    const first = await runner.observe();
    const again = await runner.observe();
    assert.deepEqual(
      [first, again].map((observed) => observed.map((t) => t.taskArn)),
      [
        ['arn:task/1', 'arn:task/2', 'arn:task/3'],
        ['arn:task/1', 'arn:task/2', 'arn:task/3'],
      ],
    );
    const described = ecs.sent
      .filter((c) => c.name === 'DescribeTasksCommand')
      .map((c) => (c.input as { tasks: string[] }).tasks);
    assert.deepEqual(described, [
      ['arn:task/1', 'arn:task/2', 'arn:task/3', 'arn:task/4'],
      ['arn:task/2', 'arn:task/3'],
    ]);
  });
});
