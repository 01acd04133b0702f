import { AGENT_STATUSES } from '../domain/agent.ts';

/** JSON Schemas of the REST API: Fastify validates with them and the OpenAPI document shows them. */

const LEVELS = ['executive', 'vp', 'director', 'manager', 'ic'];
const label = { type: 'string', minLength: 1, maxLength: 120 } as const;
const agentId = {
  type: 'string',
  pattern: '^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){1,47}$',
  description: 'Lowercase slug, 2-48 characters. Also the chat username. Defaults to a slug of the name.',
} as const;
const budgetUsd = {
  type: 'number',
  minimum: 0,
  maximum: 1_000_000,
  description: 'What the agent may spend on model calls per calendar month (UTC), in US dollars.',
} as const;
const manager = {
  type: 'string',
  minLength: 1,
  maxLength: 48,
  description: 'The manager\'s agent id, or "ceo".',
} as const;

const wakePolicy = {
  type: 'string',
  enum: ['always-on', 'on-demand'],
  description:
    "on-demand: the agent sleeps when idle and wakes when addressed. Unset: the fleet's default for its level.",
} as const;
const idleTimeoutSeconds = {
  type: 'integer',
  minimum: 1,
  maximum: 604800,
  description: "How long an on-demand agent may be idle before it sleeps. Unset: the fleet's default.",
} as const;

export const hireBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'title', 'level', 'department', 'manager'],
  properties: {
    agentId,
    name: label,
    title: label,
    level: { type: 'string', enum: LEVELS },
    department: label,
    team: label,
    manager,
    roleTemplate: { type: 'string', minLength: 1, maxLength: 64 },
    model: { type: 'string', minLength: 1, maxLength: 200 },
    skills: { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 64 } },
    monthlyBudgetUsd: budgetUsd,
    wakePolicy,
    idleTimeoutSeconds,
  },
} as const;

export const updateBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: label,
    title: label,
    level: { type: 'string', enum: LEVELS },
    department: label,
    team: { anyOf: [label, { type: 'null' }] },
    manager,
    monthlyBudgetUsd: { anyOf: [budgetUsd, { type: 'null' }] },
    wakePolicy: { anyOf: [wakePolicy, { type: 'null' }] },
    idleTimeoutSeconds: { anyOf: [idleTimeoutSeconds, { type: 'null' }] },
  },
} as const;

export const reasonBody = {
  type: 'object',
  additionalProperties: false,
  properties: { reason: { type: 'string', minLength: 1, maxLength: 2000 } },
} as const;

export const agentIdParams = {
  type: 'object',
  required: ['agentId'],
  properties: { agentId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    department: label,
    team: label,
    level: { type: 'string', enum: LEVELS },
    status: { type: 'string', enum: [...AGENT_STATUSES] },
    manager,
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    cursor: { type: 'string', minLength: 1, maxLength: 2000 },
  },
} as const;

export const importBody = {
  type: 'object',
  additionalProperties: false,
  required: ['agents'],
  properties: {
    agents: {
      type: 'array',
      minItems: 1,
      maxItems: 5000,
      items: { ...hireBody, required: [...hireBody.required, 'agentId'] },
    },
  },
} as const;

const step = {
  type: 'object',
  properties: {
    phase: { type: 'string', enum: ['hire', 'retire'] },
    step: { type: 'string' },
    state: { type: 'string', enum: ['pending', 'in-progress', 'done', 'failed'] },
    at: { type: 'string' },
    detail: { type: 'string' },
    error: { type: 'string' },
  },
} as const;

/** What the agent spent on model calls this month, as the model gateway last reported (ADR 0017). */
export const spendView = {
  type: 'object',
  properties: {
    month: { type: 'string' },
    costUsd: { type: 'number' },
    calls: { type: 'integer' },
    tokensIn: { type: 'integer' },
    tokensOut: { type: 'integer' },
    asOf: { type: 'string' },
    budget: {
      type: 'string',
      enum: ['none', 'ok', 'near-limit', 'spent'],
      description: '`spent`: the gateway refuses its calls until the budget is raised or the month turns.',
    },
    spentScope: { type: 'string', enum: ['agent', 'department', 'fleet'] },
  },
} as const;

export const agentView = {
  type: 'object',
  properties: {
    agentId: { type: 'string' },
    name: { type: 'string' },
    title: { type: 'string' },
    level: { type: 'string' },
    department: { type: 'string' },
    team: { type: 'string' },
    manager: { type: 'string' },
    roleTemplate: { type: 'string' },
    model: { type: 'string' },
    skills: { type: 'array', items: { type: 'string' } },
    wakePolicy: { type: 'string' },
    idleTimeoutSeconds: { type: 'integer' },
    wakes: { type: 'object', properties: { count: { type: 'integer' }, lastAt: { type: 'string' } } },
    lastActiveAt: { type: 'string' },
    restarts: {
      type: 'object',
      description: 'Restarts health asked for: how many, the latest one and why.',
      properties: {
        count: { type: 'integer' },
        lastAt: { type: 'string' },
        lastReason: { type: 'string' },
      },
    },
    status: { type: 'string', enum: [...AGENT_STATUSES] },
    hiredAt: { type: 'string' },
    updatedAt: { type: 'string' },
    retiredAt: { type: 'string' },
    health: {
      type: 'object',
      properties: { state: { type: 'string' }, at: { type: 'string' }, detail: { type: 'string' } },
    },
    monthlyBudgetUsd: { type: 'number' },
    modelSpend: spendView,
    steps: { type: 'array', items: step },
    version: {
      type: 'integer',
      description: 'Bumped by every change: of two views of one agent, the higher is newer.',
    },
  },
} as const;

export const errorView = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    field: { type: 'string' },
    issues: {
      type: 'array',
      description: "A 400's every field in error, each with its own message.",
      items: {
        type: 'object',
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;

const plannedChange = {
  type: 'object',
  properties: {
    action: { type: 'string', enum: ['hire', 'update', 'retire'] },
    agentId: { type: 'string' },
    position: {
      type: 'object',
      additionalProperties: true,
      description: 'hire: the position, as the org file names it ',
    },
    kinds: {
      type: 'array',
      items: {
        type: 'string',
        enum: ['promotion', 'demotion', 'move', 'rename', 'retitle', 'wake', 'budget'],
      },
    },
    changes: { type: 'object', additionalProperties: true, description: 'update: the new values ' },
    previous: { type: 'object', additionalProperties: true, description: 'update: the values they replace' },
  },
} as const;

const planSummary = {
  type: 'object',
  properties: {
    hire: { type: 'integer' },
    update: { type: 'integer' },
    retire: { type: 'integer' },
    unchanged: { type: 'integer' },
    notInFile: {
      type: 'integer',
      description: 'Active agents the file does not name, kept because prune was not asked for.',
    },
  },
} as const;

const blocked = {
  type: 'array',
  items: { type: 'object', properties: { agentId: { type: 'string' }, reason: { type: 'string' } } },
} as const;

export const orgPlanView = {
  type: 'object',
  properties: {
    changes: { type: 'array', items: plannedChange },
    summary: planSummary,
    blocked,
  },
} as const;

export const orgApplyResult = {
  type: 'object',
  properties: {
    plan: planSummary,
    applied: {
      type: 'object',
      properties: { hire: { type: 'integer' }, update: { type: 'integer' }, retire: { type: 'integer' } },
    },
    notApplied: {
      type: 'array',
      items: {
        type: 'object',
        properties: { action: { type: 'string' }, agentId: { type: 'string' }, reason: { type: 'string' } },
      },
    },
    blocked,
  },
} as const;
