import { AGENT_STATUSES, type AgentStatus } from '@ocf/events';

/**
 * The fleet's own CloudWatch metrics, declared once. The health service publishes exactly these
 * (through `metricDatum`), and the CDK stack builds its dashboard and alarms from them. infra's
 * tests check both directions: every metric the dashboard reads is here, and every metric here
 * is on the dashboard. Renaming one is therefore a change to both sides in one review.
 */

/** The CloudWatch namespace of every metric below. */
export const METRICS_NAMESPACE = 'OpenClawFleet';

/** An agent's status as the directory derives it; AgentsByState has one series per value. */
export const AGENT_STATES = AGENT_STATUSES;
export type AgentState = AgentStatus;

export const CASCADES = ['hire', 'retire'] as const;
export type Cascade = (typeof CASCADES)[number];

/**
 * The steps that finish with an event of their own, per cascade, in the order they usually
 * finish. Names are the catalogue's cascade steps (`cascadeStepSchema` in shared/events).
 */
export const CASCADE_STEPS = {
  hire: ['credentials', 'chat-account', 'task'],
  retire: ['task', 'chat-account', 'credentials', 'memory'],
} as const satisfies Record<Cascade, readonly string[]>;
export type CascadeStep = (typeof CASCADE_STEPS)[Cascade][number];

/** Which way tokens went on a model call: the prompt in, the answer out. */
export const TOKEN_DIRECTIONS = ['input', 'output'] as const;
export type TokenDirection = (typeof TOKEN_DIRECTIONS)[number];

/** How a call to the model gateway ended. */
export const CALL_OUTCOMES = [
  'ok',
  'budget-refused',
  'rate-limited',
  'unauthenticated',
  'upstream-failed',
] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** What each dimension's values may be. */
export interface DimensionValues {
  /** `OCF_ENV`: several fleets can share one account and region, so every series carries it. */
  readonly Environment: string;
  readonly State: AgentState;
  readonly Cascade: Cascade;
  readonly Step: CascadeStep;
  /** An agent's department, as the directory names it (free text: the dashboard searches for it). */
  readonly Department: string;
  readonly Direction: TokenDirection;
  readonly Outcome: CallOutcome;
}
export type DimensionName = keyof DimensionValues;

/** CloudWatch units the catalogue uses (a subset of the API's StandardUnit). */
export type MetricUnit = 'Count' | 'Milliseconds' | 'None';

/** The statistic that answers a metric's question; dashboards and alarms read it with this one. */
export type MetricStatistic = 'Sum' | 'Maximum' | 'p90';

export interface FleetMetric<D extends DimensionName = DimensionName> {
  readonly name: string;
  readonly unit: MetricUnit;
  /** Every datum carries exactly these dimensions, in this order. */
  readonly dimensions: readonly D[];
  readonly statistic: MetricStatistic;
  readonly description: string;
}

function metric<D extends DimensionName>(definition: FleetMetric<D>): FleetMetric<D> {
  return definition;
}

export const FLEET_METRICS = {
  /**
   * A gauge: how many agents are in each state right now. Health publishes every state, zeros
   * included, once a minute, so a missing point means health is not publishing.
   */
  AgentsByState: metric({
    name: 'AgentsByState',
    unit: 'Count',
    dimensions: ['Environment', 'State'],
    statistic: 'Maximum',
    description: 'Agents in each state, counted once a minute (every state, zeros included).',
  }),
  /** One per hire that started a cascade (AgentHired from the directory). */
  Hires: metric({
    name: 'Hires',
    unit: 'Count',
    dimensions: ['Environment'],
    statistic: 'Sum',
    description: 'Hires that started a cascade.',
  }),
  /** One per retirement that started a reverse cascade (AgentRetired from the directory). */
  Retirements: metric({
    name: 'Retirements',
    unit: 'Count',
    dimensions: ['Environment'],
    statistic: 'Sum',
    description: 'Retirements that started a reverse cascade.',
  }),
  /** One per replacement task health asked for (AgentRestartRequested). */
  Restarts: metric({
    name: 'Restarts',
    unit: 'Count',
    dimensions: ['Environment'],
    statistic: 'Sum',
    description: 'Agent restarts requested after a crash or a failed health check.',
  }),
  /** One per agent that health declared crash-looping (AgentCrashLooping): restarts stop. */
  CrashLoops: metric({
    name: 'CrashLoops',
    unit: 'Count',
    dimensions: ['Environment'],
    statistic: 'Sum',
    description: 'Agents declared crash-looping; their restarts stop until an operator acts.',
  }),
  /**
   * Time from the start of a cascade (the AgentHired or AgentRetired event's occurredAt) to the
   * event that finished one step, so a slow step shows up together with everything before it.
   */
  CascadeStepLatency: metric({
    name: 'CascadeStepLatency',
    unit: 'Milliseconds',
    dimensions: ['Environment', 'Cascade', 'Step'],
    statistic: 'p90',
    description: 'Time from the start of a cascade to the end of one of its steps.',
  }),
  /** Time from the start of a cascade to its last step: a running agent, or a fully retired one. */
  CascadeLatency: metric({
    name: 'CascadeLatency',
    unit: 'Milliseconds',
    dimensions: ['Environment', 'Cascade'],
    statistic: 'p90',
    description: 'Time from the start of a cascade to its last step.',
  }),
  /** Published by the model gateway (ADR 0017): one datum per outcome per reporting interval. */
  ModelCalls: metric({
    name: 'ModelCalls',
    unit: 'Count',
    dimensions: ['Environment', 'Outcome'],
    statistic: 'Sum',
    description: "Agents' calls to the model gateway, by how they ended.",
  }),
  ModelTokens: metric({
    name: 'ModelTokens',
    unit: 'Count',
    dimensions: ['Environment', 'Direction'],
    statistic: 'Sum',
    description: 'Tokens of model calls, input and output, across the fleet.',
  }),
  /** In US dollars (unit None: CloudWatch has no currency). */
  ModelCost: metric({
    name: 'ModelCost',
    unit: 'None',
    dimensions: ['Environment'],
    statistic: 'Sum',
    description: "Cost of model calls in US dollars, priced from the gateway's price table.",
  }),
  /** The same per department; departments are the org's, so the dashboard searches for them. */
  ModelTokensByDepartment: metric({
    name: 'ModelTokensByDepartment',
    unit: 'Count',
    dimensions: ['Environment', 'Department', 'Direction'],
    statistic: 'Sum',
    description: 'Tokens of model calls per department, input and output.',
  }),
  ModelCostByDepartment: metric({
    name: 'ModelCostByDepartment',
    unit: 'None',
    dimensions: ['Environment', 'Department'],
    statistic: 'Sum',
    description: 'Cost of model calls per department, in US dollars.',
  }),
  /**
   * A gauge: agents whose task is meant to run now (launching, running, unhealthy or restarting),
   * published with AgentsByState. What the fleet pays for, against the cap on awake agents.
   */
  AwakeAgents: metric({
    name: 'AwakeAgents',
    unit: 'Count',
    dimensions: ['Environment'],
    statistic: 'Maximum',
    description: 'Agents awake (a task meant to run), counted once a minute.',
  }),
  /** One per sleeping agent started again (AgentAwake). */
  Wakes: metric({
    name: 'Wakes',
    unit: 'Count',
    dimensions: ['Environment'],
    statistic: 'Sum',
    description: 'Sleeping agents woken by a mention, a direct message or an operator.',
  }),
  /** From the message that woke an agent (as the fleet saw it) to its new task passing its check. */
  WakeLatency: metric({
    name: 'WakeLatency',
    unit: 'Milliseconds',
    dimensions: ['Environment'],
    statistic: 'p90',
    description: 'Time from the message that woke an agent to its task running and healthy.',
  }),
} as const;

export type FleetMetricName = keyof typeof FLEET_METRICS;
