import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * An HTTP proxy in front of the AWS emulator that loses events: services pointed at it (their
 * AWS_ENDPOINT_URL) reach moto through it unchanged, except that a share of the entries of their
 * PutEvents never reach the bus. `silent` drops answer as if the entry had been put (a bus that
 * loses an accepted event); otherwise the entry is reported failed (`InternalFailure`), as
 * EventBridge does, and the publisher must put it again. Only entries from fleet sources (`ocf.`)
 * are dropped: the fleet's own publishers are the ones under test.
 */
export interface FaultProxy {
  readonly url: string;
  /** Drop one in every `dropEvery` fleet entries (20: 5 %); 0 drops nothing. Change it at any time. */
  dropEvery: number;
  silent: boolean;
  /**
   * Only entries of these detail-types count towards `dropEvery` and may be dropped (all, when
   * undefined): a test of lost events drops the ones the cascade depends on, not metrics.
   */
  dropTypes: ReadonlySet<string> | undefined;
  readonly dropped: { readonly source: string; readonly detailType: string; readonly agentId?: string }[];
  close(): Promise<void>;
}

interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  [key: string]: unknown;
}

export async function startFaultProxy(options: { target: string }): Promise<FaultProxy> {
  const target = new URL(options.target);
  let eligible = 0;
  /** Exactly one in `dropEvery`, not a coin per entry: a run always loses some, never a burst. */
  const dropNext = (entry: PutEventsEntry): boolean =>
    proxy.dropEvery > 0 &&
    (entry.Source ?? '').startsWith('ocf.') &&
    (proxy.dropTypes === undefined || proxy.dropTypes.has(entry.DetailType ?? '')) &&
    ++eligible % proxy.dropEvery === 0;
  const proxy: FaultProxy = {
    url: '',
    dropEvery: 0,
    silent: false,
    dropTypes: undefined,
    dropped: [],
    close: () => Promise.resolve(),
  };

  function forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const out: Record<string, string> = {};
            for (const [name, value] of Object.entries(response.headers)) {
              if (value !== undefined && name !== 'content-length' && name !== 'transfer-encoding')
                out[name] = Array.isArray(value) ? value.join(', ') : value;
            }
            resolve({ status: response.statusCode ?? 502, headers: out, body: Buffer.concat(chunks) });
          });
          response.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }

  async function putEvents(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const parsed = JSON.parse(body.toString('utf8')) as { Entries?: PutEventsEntry[] };
    const entries = parsed.Entries ?? [];
    const drop = entries.map((e) => dropNext(e));
    if (!drop.includes(true)) {
      send(res, await forward(req, body));
      return;
    }
    for (const [i, entry] of entries.entries()) {
      if (!drop[i]) continue;
      let agentId: string | undefined;
      try {
        agentId = (JSON.parse(entry.Detail ?? '{}') as { data?: { agentId?: string } }).data?.agentId;
      } catch {
        agentId = undefined;
      }
      proxy.dropped.push({
        source: entry.Source ?? '',
        detailType: entry.DetailType ?? '',
        ...(agentId === undefined ? {} : { agentId }),
      });
    }
    const kept = entries.filter((_, i) => !drop[i]);
    let keptResults: Record<string, unknown>[] = [];
    let failed = 0;
    let headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
    if (kept.length > 0) {
      const upstream = await forward(req, Buffer.from(JSON.stringify({ ...parsed, Entries: kept })));
      if (upstream.status !== 200) {
        send(res, upstream);
        return;
      }
      const result = JSON.parse(upstream.body.toString('utf8')) as {
        Entries?: Record<string, unknown>[];
        FailedEntryCount?: number;
      };
      keptResults = result.Entries ?? [];
      failed = result.FailedEntryCount ?? 0;
      headers = upstream.headers;
    }
    const results = entries.map((_, i) => {
      if (!drop[i]) return keptResults.shift() ?? {};
      if (proxy.silent) return { EventId: randomUUID() };
      failed++;
      return { ErrorCode: 'InternalFailure', ErrorMessage: 'dropped by the fault proxy' };
    });
    send(res, {
      status: 200,
      headers,
      body: Buffer.from(JSON.stringify({ FailedEntryCount: failed, Entries: results })),
    });
  }

  function send(
    res: ServerResponse,
    reply: { status: number; headers: Record<string, string>; body: Buffer },
  ): void {
    res.writeHead(reply.status, { ...reply.headers, 'content-length': String(reply.body.length) });
    res.end(reply.body);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const work =
        req.headers['x-amz-target'] === 'AWSEvents.PutEvents'
          ? putEvents(req, body, res)
          : forward(req, body).then((reply) => {
              send(res, reply);
            });
      work.catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`fault proxy: ${(error as Error).message}`);
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fault proxy has no port');
  Object.assign(proxy, {
    url: `http://127.0.0.1:${address.port}`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  });
  return proxy;
}
