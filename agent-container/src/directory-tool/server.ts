import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import type { Logger } from '@ocf/logging';
import type { OrgChart } from '../org/people.ts';
import {
  getChainOfCommand,
  getDirectReports,
  getManager,
  getPerson,
  getTeam,
  searchPeople,
  type Answer,
  type QueryContext,
} from './queries.ts';

/**
 * The people directory as an MCP server for the agent's gateway, served by the entrypoint itself
 * on loopback. One small HTTP server for every session of the agent, instead of one stdio process
 * per session that OpenClaw would start otherwise. Stateless: each request gets a fresh MCP server
 * over the current org chart, which is cheap (a few tool definitions).
 */
export interface DirectoryTool {
  readonly url: string;
  close(): Promise<void>;
}

const who = z
  .string()
  .min(1)
  .describe('An agent id (e.g. "ada-lovelace") or a full name (e.g. "Ada Lovelace").');

export async function startDirectoryTool(params: {
  /** The org chart now; the caller decides how fresh (see createOrgSource). */
  readonly org: () => Promise<OrgChart>;
  readonly matrixUserId: (agentId: string) => string;
  readonly logger: Logger;
}): Promise<DirectoryTool> {
  const { logger } = params;

  function build(): McpServer {
    const server = new McpServer({ name: 'people-directory', version: '1.0.0' });
    const reply = async (answer: (context: QueryContext) => Answer) => {
      const context = { org: await params.org(), matrixUserId: params.matrixUserId };
      return { content: [{ type: 'text' as const, text: JSON.stringify(answer(context), null, 2) }] };
    };
    const aboutPerson = { person: who };

    server.registerTool(
      'search_people',
      {
        description:
          'Search the company directory by name, title, department or team. Returns people with their manager and Matrix id.',
        inputSchema: {
          query: z.string().describe('Words to look for, e.g. "platform engineer" or "Grace".'),
          department: z.string().optional().describe('Only people in this department.'),
          limit: z.number().int().min(1).max(50).optional(),
        },
      },
      (args) => reply((context) => searchPeople(context, args)),
    );
    server.registerTool(
      'get_person',
      { description: "One person's title, department, team and manager.", inputSchema: aboutPerson },
      ({ person }) => reply((context) => getPerson(context, person)),
    );
    server.registerTool(
      'get_manager',
      { description: 'Who a person reports to.', inputSchema: aboutPerson },
      ({ person }) => reply((context) => getManager(context, person)),
    );
    server.registerTool(
      'get_direct_reports',
      { description: 'The people who report directly to a person.', inputSchema: aboutPerson },
      ({ person }) => reply((context) => getDirectReports(context, person)),
    );
    server.registerTool(
      'get_team',
      { description: "Everyone on a person's team.", inputSchema: aboutPerson },
      ({ person }) => reply((context) => getTeam(context, person)),
    );
    server.registerTool(
      'get_chain_of_command',
      {
        description: "A person's managers, from their direct manager up to the CEO.",
        inputSchema: aboutPerson,
      },
      ({ person }) => reply((context) => getChainOfCommand(context, person)),
    );
    return server;
  }

  let port = 0;
  const http: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.error('people directory tool failed', { error });
      if (!response.headersSent) response.writeHead(500).end();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.url !== '/mcp') {
      response.writeHead(404).end();
      return;
    }
    const server = build();
    // No session id generator: stateless, every request stands alone.
    const transport = new StreamableHTTPServerTransport({
      enableJsonResponse: true,
      // Only the gateway next door may call: refuse requests made for any other host name.
      enableDnsRebindingProtection: true,
      allowedHosts: [`127.0.0.1:${port}`],
    });
    response.on('close', () => {
      void transport.close();
      void server.close();
    });
    // The SDK's own types disagree under exactOptionalPropertyTypes (`onclose?: () => void` vs
    // `(() => void) | undefined`); the objects are the same.
    await server.connect(transport as unknown as Parameters<McpServer['connect']>[0]);
    await transport.handleRequest(request, response);
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => {
          resolve();
        });
      }),
  };
}

/**
 * The org chart for the tool: fetched when asked, kept for `ttlMs`, so a conversation that asks
 * five questions costs one directory listing, and a hire shows up within a minute.
 */
export function createOrgSource(
  load: () => Promise<OrgChart>,
  ttlMs: number,
  now = Date.now,
): () => Promise<OrgChart> {
  let cached: { org: OrgChart; at: number } | undefined;
  let loading: Promise<OrgChart> | undefined;
  return async () => {
    if (cached !== undefined && now() - cached.at < ttlMs) return cached.org;
    loading ??= load()
      .then((org) => {
        cached = { org, at: now() };
        return org;
      })
      .finally(() => {
        loading = undefined;
      });
    try {
      return await loading;
    } catch (error) {
      // A directory blip should not make the tool useless: answer from the last chart.
      if (cached !== undefined) return cached.org;
      throw error;
    }
  };
}
