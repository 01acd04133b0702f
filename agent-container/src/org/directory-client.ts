import { z } from 'zod';
import { levelSchema } from '@ocf/events';
import type { SecretText } from '@ocf/secrets';
import type { Person } from './people.ts';

/**
 * The directory service's REST API, as far as an agent reads it: GET /v1/agents (paged) and
 * GET /v1/agents/:id. Anything else the views carry (cascade steps, timestamps) is ignored.
 */
const personSchema = z.object({
  agentId: z.string(),
  name: z.string(),
  title: z.string(),
  level: levelSchema,
  department: z.string(),
  team: z.string().optional(),
  manager: z.string(),
  status: z.string(),
  model: z.string().optional(),
});
const pageSchema = z.object({ items: z.array(personSchema), cursor: z.string().optional() });

export class DirectoryError extends Error {
  readonly code = 'DIRECTORY_UNAVAILABLE';
  readonly retryable: boolean;

  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DirectoryError';
    this.retryable = options.retryable;
  }
}

export interface DirectoryClient {
  /** Everyone the directory knows, retired people included (callers filter). */
  listPeople(): Promise<Person[]>;
  getPerson(agentId: string): Promise<Person | undefined>;
}

export function createDirectoryClient(
  baseUrl: string,
  options: { timeoutMs?: number; fetch?: typeof fetch; token?: SecretText | undefined } = {},
): DirectoryClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch = options.fetch ?? fetch;
  // The agent's own read token from its secret: sent as a header, never put in a URL or a message.
  const headers: Record<string, string> =
    options.token === undefined ? {} : { authorization: `Bearer ${options.token.reveal()}` };

  async function getJson(path: string): Promise<unknown> {
    const url = new URL(path, baseUrl);
    let response: Response;
    try {
      response = await doFetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new DirectoryError(`directory unreachable at ${url.origin}`, { retryable: true, cause: error });
    }
    if (response.status === 404) return undefined;
    if (response.status === 401 || response.status === 403) {
      throw new DirectoryError(
        `directory refused this agent's token (${response.status}) for ${url.pathname}: ${
          options.token === undefined
            ? "the agent's secret has no directory token yet; rotating its credentials writes one"
            : 'the agent may be retired, or its token was made with another key'
        }`,
        // A 401 may pass (the directory caches a missing key for a few seconds); a 403 will not.
        { retryable: response.status === 401 },
      );
    }
    if (!response.ok) {
      throw new DirectoryError(`directory answered ${response.status} for ${url.pathname}`, {
        retryable: response.status >= 500 || response.status === 429,
      });
    }
    return response.json();
  }

  return {
    async listPeople() {
      const people: Person[] = [];
      let cursor: string | undefined;
      do {
        const query = new URLSearchParams({ limit: '200' });
        if (cursor !== undefined) query.set('cursor', cursor);
        const page = pageSchema.parse(await getJson(`/v1/agents?${query.toString()}`));
        people.push(...page.items.map(toPerson));
        cursor = page.cursor;
      } while (cursor !== undefined);
      return people;
    },

    async getPerson(agentId) {
      const body = await getJson(`/v1/agents/${encodeURIComponent(agentId)}`);
      return body === undefined ? undefined : toPerson(personSchema.parse(body));
    },
  };
}

/** Drops absent optional fields, so `exactOptionalPropertyTypes` holds downstream. */
function toPerson(parsed: z.output<typeof personSchema>): Person {
  const { team, model, ...rest } = parsed;
  return { ...rest, ...(team === undefined ? {} : { team }), ...(model === undefined ? {} : { model }) };
}
