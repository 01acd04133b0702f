import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface ConsoleRoutesDeps {
  /** The built console (index.html, assets/); see @ocf/console. */
  readonly assetsDir: string;
  /** The homeserver the console's chat talks to, as a browser reaches it; none: no chat. */
  readonly homeserverUrl?: string | undefined;
}

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

/**
 * The web console (ADR 0025) under /console: the page and its assets are public, like the
 * OpenAPI document (they hold no data); every call the page makes for data carries the operator's
 * token and goes through the same guard as any other caller's. The few built files are read once
 * into memory at start: no file-system path ever comes from a request.
 */
export async function consoleRoutes(app: FastifyInstance, deps: ConsoleRoutesDeps): Promise<void> {
  const assets = await loadAssets(deps.assetsDir);
  const connect = [
    "'self'",
    ...(deps.homeserverUrl === undefined ? [] : [new URL(deps.homeserverUrl).origin]),
  ];
  const security = {
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      `connect-src ${connect.join(' ')}`,
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  const publicRoute = { schema: { hide: true }, config: { access: 'public' as const } };

  const send = (reply: FastifyReply, name: string, cache: string) => {
    const asset = assets?.get(name);
    if (asset === undefined) {
      return reply.status(assets === undefined ? 503 : 404).send({
        error: assets === undefined ? 'CONSOLE_NOT_BUILT' : 'NOT_FOUND',
        message:
          assets === undefined
            ? 'the console is not built: run `node console/scripts/build.ts` (pnpm install does)'
            : `no console asset ${name}`,
      });
    }
    return reply
      .headers({ ...security, 'content-type': asset.type, 'cache-control': cache })
      .send(asset.body);
  };

  app.get('/console', publicRoute, (_request, reply) => reply.redirect('/console/', 308));
  // The page itself is never cached: it names the current hashed assets.
  app.get('/console/', publicRoute, (_request, reply) => send(reply, 'index.html', 'no-store'));
  app.get('/console/config.json', publicRoute, (_request, reply) =>
    reply
      .headers({ ...security, 'cache-control': 'no-store' })
      .send({ ...(deps.homeserverUrl === undefined ? {} : { homeserverUrl: deps.homeserverUrl }) }),
  );
  // Content-hashed names: a new build has new names, so these can be kept for good.
  app.get<{ Params: { file: string } }>('/console/assets/:file', publicRoute, (request, reply) =>
    send(reply, `assets/${request.params.file}`, 'public, max-age=31536000, immutable'),
  );
}

/** index.html and assets/*, or undefined when the console was never built. */
async function loadAssets(dir: string): Promise<Map<string, Asset> | undefined> {
  let names: string[];
  try {
    names = ['index.html', ...(await readdir(path.join(dir, 'assets'))).map((name) => `assets/${name}`)];
  } catch {
    return undefined;
  }
  const assets = new Map<string, Asset>();
  for (const name of names) {
    const type = TYPES[path.extname(name)];
    if (type === undefined) continue;
    assets.set(name, { body: await readFile(path.join(dir, name)), type });
  }
  return assets.has('index.html') ? assets : undefined;
}
