import { waitFor } from './aws.ts';

export interface AgentView {
  readonly agentId: string;
  readonly status: string;
  readonly steps: readonly {
    phase: string;
    step: string;
    state: string;
    at?: string;
    detail?: string;
    error?: string;
  }[];
  readonly [field: string]: unknown;
}

/** The directory's REST API as an operator's script uses it: every call with its (write) token. */
export function directoryClient(url: string, token: string) {
  const authorization = `Bearer ${token}`;
  const write = (path: string, method: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify(body),
    });
  const agent = async (agentId: string): Promise<AgentView | undefined> => {
    const response = await fetch(`${url}/v1/agents/${agentId}`, { headers: { authorization } });
    return response.status === 200 ? ((await response.json()) as AgentView) : undefined;
  };
  return {
    hire: (body: Record<string, unknown>) => write('/v1/agents', 'POST', body),
    update: (agentId: string, body: Record<string, unknown>) => write(`/v1/agents/${agentId}`, 'PATCH', body),
    retire: (agentId: string, reason?: string) =>
      write(`/v1/agents/${agentId}/retire`, 'POST', reason === undefined ? {} : { reason }),
    write,
    agent,
    list: async (query: string): Promise<AgentView[]> =>
      (
        (await (await fetch(`${url}/v1/agents?${query}`, { headers: { authorization } })).json()) as {
          items: AgentView[];
        }
      ).items,
    /** Waits until the agent shows `status`; fails with the last status seen. */
    async untilStatus(agentId: string, status: string, timeoutMs = 30_000): Promise<AgentView> {
      let last: string | undefined;
      return waitFor(
        `${agentId} to be ${status}`,
        async () => {
          const view = await agent(agentId);
          last = view?.status;
          return view?.status === status ? view : undefined;
        },
        { timeoutMs },
      ).catch((error: unknown) => {
        throw new Error(`${agentId} never became ${status} (last: ${last ?? 'unknown'})`, { cause: error });
      });
    },
  };
}

export type DirectoryClient = ReturnType<typeof directoryClient>;
