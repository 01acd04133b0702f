import { EXIT } from './exit-codes.ts';

/** A refusal or failure from the directory, with the exit code it means. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly body: { error?: string; message?: string; field?: string; errors?: unknown[] } | undefined;
  constructor(status: number, body: ApiError['body'], message: string) {
    super(message);
    this.status = status;
    this.body = body;
  }

  get exitCode(): number {
    if (this.status === 404) return EXIT.notFound;
    if (this.status === 401 || this.status === 403) return EXIT.unauthorised;
    if (this.status === 400 || this.status === 409 || this.status === 422) return EXIT.refused;
    return EXIT.failed;
  }
}

/** The directory could not be reached at all. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

export interface AgentView {
  readonly agentId: string;
  readonly name: string;
  readonly title: string;
  readonly level: string;
  readonly department: string;
  readonly team?: string;
  readonly manager: string;
  readonly status: string;
  readonly hiredAt: string;
  readonly updatedAt: string;
  readonly retiredAt?: string;
  readonly health?: { state: string; at: string; detail?: string };
  readonly wakePolicy?: string;
  readonly idleTimeoutSeconds?: number;
  readonly wakes?: { count: number; lastAt?: string };
  /** When it was last addressed, spoke, or called its model. */
  readonly lastActiveAt?: string;
  /** Restarts health asked for, the last one's time and reason. */
  readonly restarts?: { count: number; lastAt?: string; lastReason?: string };
  readonly monthlyBudgetUsd?: number;
  readonly modelSpend?: SpendView;
  readonly steps?: {
    phase: string;
    step: string;
    state: string;
    at?: string;
    detail?: string;
    error?: string;
  }[];
  readonly version: number;
}

/** This month's model spend of one agent, as the model gateway last reported it (ADR 0017). */
export interface SpendView {
  readonly month: string;
  readonly costUsd: number;
  readonly calls: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly asOf?: string;
  /** `spent`: the gateway refuses the agent's calls until the budget is raised or the month turns. */
  readonly budget: 'none' | 'ok' | 'near-limit' | 'spent';
  readonly spentScope?: 'agent' | 'department' | 'fleet';
}

/** The directory's REST API, as much of it as `ocf` uses. */
export function directoryClient(baseUrl: string, token: string | undefined) {
  const headers = (extra: Record<string, string> = {}) => ({
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    ...extra,
  });

  async function send(
    method: string,
    path: string,
    body?: unknown,
    accept = 'application/json',
  ): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: headers({ accept, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new UnreachableError(`cannot reach the directory at ${baseUrl}: ${causeOf(error)}`);
    }
    if (!response.ok) {
      const text = await response.text();
      let parsed: ApiError['body'];
      try {
        parsed = JSON.parse(text) as ApiError['body'];
      } catch {
        parsed = undefined;
      }
      const message = parsed?.message ?? `${method} ${path}: HTTP ${response.status}`;
      throw new ApiError(response.status, parsed, message);
    }
    return response;
  }
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> =>
    (await (await send(method, path, body)).json()) as T;

  return {
    baseUrl,
    token,
    hire: (body: Record<string, unknown>) =>
      call<{ agentId: string; status: string; statusUrl: string; created: boolean }>(
        'POST',
        '/v1/agents',
        body,
      ),
    agent: (agentId: string) => call<AgentView>('GET', `/v1/agents/${encodeURIComponent(agentId)}`),
    list: (query: Record<string, string>) =>
      call<{ items: AgentView[]; cursor?: string }>(
        'GET',
        `/v1/agents?${new URLSearchParams(query).toString()}`,
      ),
    retire: (agentId: string, reason?: string) =>
      call<AgentView>(
        'POST',
        `/v1/agents/${encodeURIComponent(agentId)}/retire`,
        reason === undefined ? {} : { reason },
      ),
    rotate: (agentId: string, reason?: string) =>
      call<{ agentId: string; rotation: string }>(
        'POST',
        `/v1/agents/${encodeURIComponent(agentId)}/credentials/rotate`,
        reason === undefined ? {} : { reason },
      ),
    /** Changes to an agent (PATCH): `null` puts a setting back to the fleet's default. */
    update: (agentId: string, changes: Record<string, unknown>) =>
      call<AgentView>('PATCH', `/v1/agents/${encodeURIComponent(agentId)}`, changes),
    /** Sleep or wake now (ADR 0019): provisioning carries it out; the answer is the request. */
    sleepOrWake: (agentId: string, action: 'sleep' | 'wake') =>
      call<{ agentId: string } & Record<string, string>>(
        'POST',
        `/v1/agents/${encodeURIComponent(agentId)}/${action}`,
      ),
    plan: (org: unknown, prune: boolean) => call<OrgPlanView>('POST', '/v1/org/plan', { org, prune }),
    /** The apply's answer as a stream of progress lines, then the result. */
    apply: (org: unknown, prune: boolean) =>
      send('POST', '/v1/org/apply', { org, prune }, 'application/x-ndjson'),
    watch: (signal: AbortSignal) =>
      fetch(`${baseUrl}/v1/watch/agents`, {
        headers: headers({ accept: 'text/event-stream' }),
        signal,
      }).catch((error: unknown) => {
        if (signal.aborted) throw error;
        throw new UnreachableError(`cannot reach the directory at ${baseUrl}: ${causeOf(error)}`);
      }),
  };
}

export type DirectoryClient = ReturnType<typeof directoryClient>;

export interface PlannedChangeView {
  readonly action: 'hire' | 'update' | 'retire';
  readonly agentId: string;
  readonly position?: Record<string, unknown>;
  readonly kinds?: string[];
  readonly changes?: Record<string, unknown>;
  readonly previous?: Record<string, unknown>;
}

export interface OrgPlanView {
  readonly changes: PlannedChangeView[];
  readonly summary: { hire: number; update: number; retire: number; unchanged: number; notInFile: number };
  readonly blocked: { agentId: string; reason: string }[];
}

export interface ApplyResultView {
  readonly plan: OrgPlanView['summary'];
  readonly applied: { hire: number; update: number; retire: number };
  readonly notApplied: { action: string; agentId: string; reason: string }[];
  readonly blocked: { agentId: string; reason: string }[];
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
