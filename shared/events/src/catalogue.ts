import { z } from 'zod';
import { defineEvent } from './define.ts';
import {
  agentIdSchema,
  CEO_ID,
  arnSchema,
  cascadeStepSchema,
  labelSchema,
  idleTimeoutSecondsSchema,
  levelSchema,
  monthSchema,
  reasonSchema,
  textSchema,
  usdSchema,
  wakePolicySchema,
} from './fields.ts';

const EXAMPLE_SECRET_ARN =
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/prod/agents/ada-lovelace-a1B2c3';
const EXAMPLE_TASK_ARN =
  'arn:aws:ecs:us-east-1:123456789012:task/ocf-prod-agents/4d5e6f708192a3b4c5d6e7f8091a2b3c';

// ---------------------------------------------------------------------------------------------
// Public contract: what outside systems may publish, and what they may listen to.
// ---------------------------------------------------------------------------------------------

export const AgentHired = defineEvent({
  type: 'AgentHired',
  version: 1,
  audience: 'public',
  producedBy: ['directory', 'outside'],
  description:
    'An agent joins the org. Starts the hire cascade: credentials, chat account, rooms, a running task.',
  schema: z.object({
    agentId: agentIdSchema,
    name: labelSchema,
    title: labelSchema,
    level: levelSchema,
    department: labelSchema,
    team: labelSchema.optional(),
    /** The agent id of the manager, or `ceo` for the human at the root. */
    managerId: z.union([agentIdSchema, z.literal(CEO_ID)]),
    roleTemplate: textSchema.min(1).max(64).optional(),
    model: textSchema.min(1).max(200).optional(),
    skills: z.array(textSchema.min(1).max(64)).max(50).optional(),
    /** What the agent may spend on model calls per calendar month (UTC); none: no agent limit. */
    monthlyBudgetUsd: usdSchema.optional(),
    /** Unset: the fleet's default for the agent's level. */
    wakePolicy: wakePolicySchema.optional(),
    /** Unset: the fleet's idle timeout. */
    idleTimeoutSeconds: idleTimeoutSecondsSchema.optional(),
  }),
  example: {
    agentId: 'ada-lovelace',
    name: 'Ada Lovelace',
    title: 'Staff Engineer',
    level: 'ic',
    department: 'Engineering',
    team: 'Platform',
    managerId: 'grace-hopper',
  },
});

export const AgentRetired = defineEvent({
  type: 'AgentRetired',
  version: 1,
  audience: 'public',
  producedBy: ['directory', 'outside'],
  description:
    'An agent leaves the org. Starts the reverse cascade: task stopped, chat account deactivated, secret scheduled for deletion, memory archived.',
  schema: z.object({
    agentId: agentIdSchema,
    reason: reasonSchema.optional(),
  }),
  example: { agentId: 'ada-lovelace', reason: 'Team reorganised' },
});

export const AgentUpdated = defineEvent({
  type: 'AgentUpdated',
  version: 1,
  audience: 'public',
  producedBy: ['directory'],
  description:
    'A promotion, transfer or new manager. Carries the new values of what changed and the old ones.',
  schema: z.object({
    agentId: agentIdSchema,
    changes: z
      .object({
        name: labelSchema,
        title: labelSchema,
        level: levelSchema,
        department: labelSchema,
        team: labelSchema.nullable(),
        managerId: z.union([agentIdSchema, z.literal(CEO_ID)]),
        /** A new monthly model budget; null: no agent limit any more. */
        monthlyBudgetUsd: usdSchema.nullable(),
        /** `null`: back to the fleet's default. */
        wakePolicy: wakePolicySchema.nullable(),
        idleTimeoutSeconds: idleTimeoutSecondsSchema.nullable(),
      })
      .partial()
      .refine((changes) => Object.keys(changes).length > 0, 'must name at least one change'),
    previous: z
      .object({
        name: labelSchema,
        title: labelSchema,
        level: levelSchema,
        department: labelSchema,
        team: labelSchema.nullable(),
        managerId: z.union([agentIdSchema, z.literal(CEO_ID)]),
        monthlyBudgetUsd: usdSchema.nullable(),
        wakePolicy: wakePolicySchema.nullable(),
        idleTimeoutSeconds: idleTimeoutSecondsSchema.nullable(),
      })
      .partial(),
  }),
  example: {
    agentId: 'ada-lovelace',
    changes: { title: 'Principal Engineer', team: 'Runtime' },
    previous: { title: 'Staff Engineer', team: 'Platform' },
  },
});

export const HireRejected = defineEvent({
  type: 'HireRejected',
  version: 1,
  audience: 'public',
  producedBy: ['directory'],
  description:
    "A hire or retirement requested by an outside system was refused (unknown manager, a cycle, a taken id...). Carries the request's event id and the reason.",
  schema: z.object({
    agentId: textSchema.min(1).max(200),
    requestEventId: textSchema.min(1).max(128),
    requestType: z.enum(['AgentHired', 'AgentRetired']),
    reason: reasonSchema,
  }),
  example: {
    agentId: 'ada-lovelace',
    requestEventId: '6f1c2b0e-9a8d-4c1e-b7f3-2d5e8a9c0b1d',
    requestType: 'AgentHired',
    reason: 'managerId: no active agent "grace-hopper"',
  },
});

// ---------------------------------------------------------------------------------------------
// Internal cascade: one event per finished step, one failure event per step that gave up.
// ---------------------------------------------------------------------------------------------

export const CredentialsIssued = defineEvent({
  type: 'CredentialsIssued',
  version: 1,
  audience: 'internal',
  producedBy: ['credentials'],
  description: "The agent's secret exists in Secrets Manager. Carries its ARN, never its value.",
  schema: z.object({ agentId: agentIdSchema, secretArn: arnSchema, restored: z.boolean() }),
  example: { agentId: 'ada-lovelace', secretArn: EXAMPLE_SECRET_ARN, restored: false },
});

export const CredentialsRotationRequested = defineEvent({
  type: 'CredentialsRotationRequested',
  version: 1,
  audience: 'internal',
  producedBy: ['directory'],
  description: "Asks for a new value of the agent's chat credential.",
  schema: z.object({ agentId: agentIdSchema, reason: reasonSchema.optional() }),
  example: { agentId: 'ada-lovelace', reason: 'Quarterly rotation' },
});

export const CredentialsRotated = defineEvent({
  type: 'CredentialsRotated',
  version: 1,
  audience: 'internal',
  producedBy: ['credentials'],
  description: 'A new secret version exists; the bridge must move the chat account onto it.',
  schema: z.object({ agentId: agentIdSchema, secretArn: arnSchema, versionId: textSchema.min(1) }),
  example: {
    agentId: 'ada-lovelace',
    secretArn: EXAMPLE_SECRET_ARN,
    versionId: 'b1f0c6f2-0000-4000-8000-000000000001',
  },
});

export const CredentialsRevoked = defineEvent({
  type: 'CredentialsRevoked',
  version: 1,
  audience: 'internal',
  producedBy: ['credentials'],
  description: "The agent's secret is scheduled for deletion (recoverable until `deletionDate`).",
  schema: z.object({
    agentId: agentIdSchema,
    secretArn: arnSchema,
    deletionDate: z.iso.datetime({ offset: true }),
  }),
  example: {
    agentId: 'ada-lovelace',
    secretArn: EXAMPLE_SECRET_ARN,
    deletionDate: '2026-12-25T00:00:00.000Z',
  },
});

export const ChatAccountReady = defineEvent({
  type: 'ChatAccountReady',
  version: 1,
  audience: 'internal',
  producedBy: ['bridge'],
  description: 'The agent has a Matrix account with its display name and is in its org rooms.',
  schema: z.object({
    agentId: agentIdSchema,
    matrixUserId: textSchema.regex(/^@[^:]+:.+$/, 'must be a Matrix user id'),
  }),
  example: { agentId: 'ada-lovelace', matrixUserId: '@agent-ada-lovelace:fleet.example.com' },
});

export const ChatAccountDeactivated = defineEvent({
  type: 'ChatAccountDeactivated',
  version: 1,
  audience: 'internal',
  producedBy: ['bridge'],
  description: "The agent's Matrix account is deactivated and out of every room.",
  schema: z.object({
    agentId: agentIdSchema,
    matrixUserId: textSchema.regex(/^@[^:]+:.+$/, 'must be a Matrix user id'),
  }),
  example: { agentId: 'ada-lovelace', matrixUserId: '@agent-ada-lovelace:fleet.example.com' },
});

export const AgentLaunching = defineEvent({
  type: 'AgentLaunching',
  version: 1,
  audience: 'internal',
  producedBy: ['provisioning'],
  description: 'A task for the agent was started and is on its way to RUNNING.',
  schema: z.object({ agentId: agentIdSchema, taskArn: textSchema.min(1) }),
  example: { agentId: 'ada-lovelace', taskArn: EXAMPLE_TASK_ARN },
});

export const AgentRunning = defineEvent({
  type: 'AgentRunning',
  version: 1,
  audience: 'internal',
  producedBy: ['health'],
  description: "The agent's task is RUNNING and its health check passes.",
  schema: z.object({ agentId: agentIdSchema, taskArn: textSchema.min(1) }),
  example: { agentId: 'ada-lovelace', taskArn: EXAMPLE_TASK_ARN },
});

export const AgentStopped = defineEvent({
  type: 'AgentStopped',
  version: 1,
  audience: 'internal',
  producedBy: ['provisioning', 'health'],
  description: "The agent's task stopped, on purpose (retirement) or not (a crash).",
  schema: z.object({
    agentId: agentIdSchema,
    taskArn: textSchema.min(1),
    expected: z.boolean(),
    reason: reasonSchema.optional(),
    exitCode: z.number().int().optional(),
  }),
  example: {
    agentId: 'ada-lovelace',
    taskArn: EXAMPLE_TASK_ARN,
    expected: false,
    reason: 'Essential container exited',
    exitCode: 1,
  },
});

export const AgentUnhealthy = defineEvent({
  type: 'AgentUnhealthy',
  version: 1,
  audience: 'internal',
  producedBy: ['health'],
  description: "The agent's task runs but fails its health check.",
  schema: z.object({ agentId: agentIdSchema, taskArn: textSchema.min(1), reason: reasonSchema }),
  example: {
    agentId: 'ada-lovelace',
    taskArn: EXAMPLE_TASK_ARN,
    reason: 'Gateway health endpoint timed out 3 times',
  },
});

export const AgentRestartRequested = defineEvent({
  type: 'AgentRestartRequested',
  version: 1,
  audience: 'internal',
  producedBy: ['health'],
  description: "Health asks provisioning to replace the agent's task, not before `notBefore` (back-off).",
  schema: z.object({
    agentId: agentIdSchema,
    attempt: z.number().int().positive(),
    notBefore: z.iso.datetime({ offset: true }),
    reason: reasonSchema,
  }),
  example: {
    agentId: 'ada-lovelace',
    attempt: 2,
    notBefore: '2026-11-25T10:00:20.000Z',
    reason: 'Task stopped: exit code 1',
  },
});

export const AgentCrashLooping = defineEvent({
  type: 'AgentCrashLooping',
  version: 1,
  audience: 'internal',
  producedBy: ['health'],
  description: 'The agent failed too often in a short window; restarts stop until an operator acts.',
  schema: z.object({
    agentId: agentIdSchema,
    failures: z.number().int().positive(),
    windowSeconds: z.number().int().positive(),
    lastReason: reasonSchema,
  }),
  example: {
    agentId: 'ada-lovelace',
    failures: 5,
    windowSeconds: 600,
    lastReason: 'Essential container exited (code 1)',
  },
});

export const MemoryArchived = defineEvent({
  type: 'MemoryArchived',
  version: 1,
  audience: 'internal',
  producedBy: ['provisioning'],
  description: "A retired agent's private storage was archived and released.",
  schema: z.object({ agentId: agentIdSchema, archiveLocation: textSchema.min(1) }),
  example: {
    agentId: 'ada-lovelace',
    archiveLocation: 's3://ocf-prod-archive/agents/ada-lovelace/2026-11-25.tar.zst',
  },
});

export const CascadeStepFailed = defineEvent({
  type: 'CascadeStepFailed',
  version: 1,
  audience: 'internal',
  producedBy: ['credentials', 'bridge', 'provisioning', 'health'],
  description: 'A step of a cascade gave up. The status projection shows the step and the reason.',
  schema: z.object({ agentId: agentIdSchema, step: cascadeStepSchema, reason: reasonSchema }),
  example: {
    agentId: 'ada-lovelace',
    step: 'task',
    reason: 'RunTask rejected: no capacity in the private subnets',
  },
});

// ---------------------------------------------------------------------------------------------
// Model spend: what the model gateway meters and enforces (ADR 0017).
// ---------------------------------------------------------------------------------------------

const managerIdSchema = z.union([agentIdSchema, z.literal(CEO_ID)]);

export const ModelUsageReported = defineEvent({
  type: 'ModelUsageReported',
  version: 1,
  audience: 'internal',
  producedBy: ['model-gateway'],
  description:
    "An agent's model usage this month so far: totals, not a delta, so a late or repeated report changes nothing. At most one per agent per reporting interval, and only for agents that made calls in it.",
  schema: z.object({
    agentId: agentIdSchema,
    department: labelSchema,
    month: monthSchema,
    calls: z.number().int().nonnegative(),
    tokensIn: z.number().int().nonnegative(),
    tokensOut: z.number().int().nonnegative(),
    costUsd: usdSchema,
    /** The agent's budget the gateway enforced at the time; absent: no agent limit. */
    monthlyBudgetUsd: usdSchema.optional(),
    /** When the totals were read: a consumer keeps the report with the latest one. */
    asOf: z.iso.datetime({ offset: true }),
  }),
  example: {
    agentId: 'ada-lovelace',
    department: 'Engineering',
    month: '2026-12',
    calls: 412,
    tokensIn: 1_830_000,
    tokensOut: 96_500,
    costUsd: 6.9375,
    monthlyBudgetUsd: 50,
    asOf: '2026-12-02T10:00:00.000Z',
  },
});

export const AgentBudgetThresholdReached = defineEvent({
  type: 'AgentBudgetThresholdReached',
  version: 1,
  audience: 'internal',
  producedBy: ['model-gateway'],
  description:
    "An agent's model spend this month passed the soft threshold of its budget. The bridge tells its manager; calls still go through. Once per agent, month and budget.",
  schema: z.object({
    agentId: agentIdSchema,
    managerId: managerIdSchema,
    month: monthSchema,
    spentUsd: usdSchema,
    budgetUsd: usdSchema,
    thresholdPercent: z.number().int().min(1).max(99),
  }),
  example: {
    agentId: 'ada-lovelace',
    managerId: 'grace-hopper',
    month: '2026-12',
    spentUsd: 40.12,
    budgetUsd: 50,
    thresholdPercent: 80,
  },
});

export const AgentBudgetExhausted = defineEvent({
  type: 'AgentBudgetExhausted',
  version: 1,
  audience: 'internal',
  producedBy: ['model-gateway'],
  description:
    "A monthly model budget is spent: the gateway refuses the agent's calls until the budget is raised or the month turns. `scope` says whose budget: the agent's own, its department's or the fleet's. Once per agent, month, scope and budget.",
  schema: z.object({
    agentId: agentIdSchema,
    managerId: managerIdSchema,
    department: labelSchema,
    month: monthSchema,
    scope: z.enum(['agent', 'department', 'fleet']),
    spentUsd: usdSchema,
    budgetUsd: usdSchema,
  }),
  example: {
    agentId: 'ada-lovelace',
    managerId: 'grace-hopper',
    department: 'Engineering',
    month: '2026-12',
    scope: 'agent',
    spentUsd: 50.03,
    budgetUsd: 50,
  },
});

// ---------------------------------------------------------------------------------------------
// Sleep and wake (ADR 0018, 0019): requests from whoever decides, facts from provisioning.
// ---------------------------------------------------------------------------------------------

export const AgentSleepRequested = defineEvent({
  type: 'AgentSleepRequested',
  version: 1,
  audience: 'internal',
  producedBy: ['bridge', 'directory'],
  description:
    "Asks provisioning to stop the agent's task on purpose (idle past its timeout, evicted to make room, or an operator's call). Storage, chat account, rooms and secret stay.",
  schema: z.object({
    agentId: agentIdSchema,
    reason: z.enum(['idle', 'evicted', 'operator']),
    /** When the agent was last active, if the request is about idleness. */
    lastActiveAt: z.iso.datetime({ offset: true }).optional(),
  }),
  example: { agentId: 'ada-lovelace', reason: 'idle', lastActiveAt: '2026-11-25T09:30:00.000Z' },
});

export const AgentWakeRequested = defineEvent({
  type: 'AgentWakeRequested',
  version: 1,
  audience: 'internal',
  producedBy: ['bridge', 'directory'],
  description:
    'Asks provisioning to start a sleeping agent again: it was mentioned, sent a direct message, or an operator woke it.',
  schema: z.object({
    agentId: agentIdSchema,
    reason: z.enum(['mention', 'direct-message', 'operator']),
    roomId: textSchema.min(1).max(255).optional(),
    eventId: textSchema.min(1).max(255).optional(),
    /** When the fleet saw the message that wakes the agent (the start of the wake latency). */
    seenAt: z.iso.datetime({ offset: true }),
  }),
  example: {
    agentId: 'ada-lovelace',
    reason: 'mention',
    roomId: '!team:fleet.example.com',
    eventId: '$abc123',
    seenAt: '2026-11-25T10:00:00.000Z',
  },
});

export const AgentAsleep = defineEvent({
  type: 'AgentAsleep',
  version: 1,
  audience: 'internal',
  producedBy: ['provisioning'],
  description: "The agent's task was stopped on purpose to let it sleep; nothing else of it changed.",
  schema: z.object({
    agentId: agentIdSchema,
    /** The task that was stopped, if one ran. */
    taskArn: textSchema.min(1).optional(),
    reason: z.enum(['idle', 'evicted', 'operator']),
  }),
  example: { agentId: 'ada-lovelace', taskArn: EXAMPLE_TASK_ARN, reason: 'idle' },
});

export const AgentAwake = defineEvent({
  type: 'AgentAwake',
  version: 1,
  audience: 'internal',
  producedBy: ['provisioning'],
  description:
    'A task was started for a sleeping agent in answer to a wake request; health reports it running once it answers.',
  schema: z.object({
    agentId: agentIdSchema,
    taskArn: textSchema.min(1),
    /** The `seenAt` of the wake request it answers. */
    wakeSeenAt: z.iso.datetime({ offset: true }),
  }),
  example: { agentId: 'ada-lovelace', taskArn: EXAMPLE_TASK_ARN, wakeSeenAt: '2026-11-25T10:00:00.000Z' },
});

/** Every event type the fleet knows, by detail-type. */
export const catalogue = {
  AgentHired,
  AgentRetired,
  AgentUpdated,
  HireRejected,
  CredentialsIssued,
  CredentialsRotationRequested,
  CredentialsRotated,
  CredentialsRevoked,
  ChatAccountReady,
  ChatAccountDeactivated,
  AgentLaunching,
  AgentRunning,
  AgentStopped,
  AgentUnhealthy,
  AgentRestartRequested,
  AgentCrashLooping,
  MemoryArchived,
  CascadeStepFailed,
  ModelUsageReported,
  AgentBudgetThresholdReached,
  AgentBudgetExhausted,
  AgentSleepRequested,
  AgentWakeRequested,
  AgentAsleep,
  AgentAwake,
} as const;

export type Catalogue = typeof catalogue;
export type EventType = keyof Catalogue;
export type EventData<T extends EventType> = z.output<Catalogue[T]['schema']>;
export type EventDataInput<T extends EventType> = z.input<Catalogue[T]['schema']>;

export const eventTypes = Object.keys(catalogue) as EventType[];

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(catalogue, value);
}
