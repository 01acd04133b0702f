import { FleetError } from '@ocf/errors';
import type { SweepPage } from '@ocf/runtime';
import type {
  AgentRecord,
  AsleepRecord,
  FactKey,
  LaunchFailure,
  LaunchRecord,
  RetirementRecord,
} from './domain/agent-record.ts';
import type { ObservedTask } from './domain/reconcile.ts';

export type { ObservedTask } from './domain/reconcile.ts';

/** Any call can be cancelled: the service is stopping, or a handler overran. */
export interface Call {
  readonly signal?: AbortSignal | undefined;
}

export interface LaunchRequest extends Call {
  readonly agentId: string;
  /** Same for every attempt at the same launch (RunTask's clientToken). */
  readonly clientToken: string;
  /** The agent's secret, by ARN: the agent reads it itself at start, with its own role. */
  readonly secretArn: string;
}

export interface StopRequest extends Call {
  readonly taskArn: string;
  readonly agentId: string | undefined;
  readonly reason: string;
}

/**
 * Where agents run: ECS tasks (adapters/ecs-task-runner.ts, on AWS and the emulator), child
 * processes on a laptop (adapters/local-process-runner.ts), or a Map in unit tests. Each agent's
 * task is tagged with its id, so `observe` alone says who runs, whatever provisioning remembers.
 */
export interface TaskRunner {
  readonly kind: 'ecs' | 'local' | 'memory';
  /** Every task of this fleet that is not stopped (or stopping), with its agent id. */
  observe(call?: Call): Promise<ObservedTask[]>;
  /** Starts one task for the agent, with its private storage mounted. */
  launch(request: LaunchRequest): Promise<{ readonly taskArn: string }>;
  /** Stops a task; a task that is already stopped or gone is not an error. */
  stop(request: StopRequest): Promise<void>;
  /**
   * The agent is retired and its task stopped: its storage is released (no task can mount it any
   * more) and its data kept where it is. Returns where the data now lives.
   */
  releaseStorage(agentId: string, call?: Call): Promise<{ readonly archiveLocation: string }>;
  /** Readiness: resolves when the runner can work (the cluster exists, the folder is writable). */
  check(): Promise<void>;
}

/** A runner call failed. `throttled` asks the caller to slow down; `retryable` says it may pass. */
export class TaskRunnerError extends FleetError {
  readonly throttled: boolean;

  constructor(message: string, options: { retryable: boolean; throttled?: boolean; cause?: unknown }) {
    super(options.throttled === true ? 'TASK_RUNNER_THROTTLED' : 'TASK_RUNNER_FAILED', message, options);
    this.throttled = options.throttled === true;
  }
}

/**
 * Provisioning's own table: each agent's facts (newer wins, per fact) and what the reconciler
 * did. DynamoDB on AWS and the emulator (adapters/dynamo-agent-state.ts), a Map in unit tests.
 */
export interface AgentStateStore {
  get(agentId: string): Promise<AgentRecord | undefined>;
  /**
   * One page of at most `limit` records from `cursor` (undefined: the first page). The reconciler
   * reads the table whole only at start and when asked; its resync reads a page per tick (ADR 0029).
   */
  page(cursor: unknown, limit: number): Promise<SweepPage<AgentRecord>>;
  /** Keeps `value` unless the record already holds a fact of this kind at least as new. */
  recordFact<K extends FactKey>(
    agentId: string,
    key: K,
    value: NonNullable<AgentRecord[K]>,
  ): Promise<'recorded' | 'stale'>;
  setLaunch(agentId: string, launch: LaunchRecord): Promise<void>;
  setLaunchFailure(agentId: string, failure: LaunchFailure | undefined): Promise<void>;
  setRetirement(agentId: string, retirement: RetirementRecord): Promise<void>;
  setAsleep(agentId: string, asleep: AsleepRecord): Promise<void>;
}
