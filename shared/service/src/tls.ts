import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { generate } from 'selfsigned';

/** A key and a certificate for it, PEM. */
export interface TlsIdentity {
  readonly key: string;
  readonly cert: string;
}

/**
 * A key pair and a self-signed certificate for it, made in memory when the task starts and never
 * written anywhere. For the load balancer's hop to its targets (ADR 0027): an ALB encrypts to its
 * targets but does not check their certificates (name, issuer or expiry), so nothing is gained by
 * a CA-issued one and nothing needs renewing; each task has a key of its own that dies with it.
 * RSA 2048: every cipher suite the load balancer offers its targets can use it.
 */
export async function selfSignedIdentity(commonName: string): Promise<TlsIdentity> {
  const notBeforeDate = new Date();
  // Longer than any task lives; unchecked by the load balancer anyway.
  const notAfterDate = new Date(notBeforeDate.getTime() + 10 * 365 * 24 * 60 * 60 * 1000);
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
  });
  return { key: pems.private, cert: pems.cert };
}

/**
 * Serves a Fastify app over HTTPS only: an https server whose requests go through the app's own
 * request handling (`routing`: hooks, error handler, everything `listen` would do). The app's own
 * plain server never listens. TLS 1.2 at least (what the load balancer speaks to targets).
 */
export function httpsListener(
  app: FastifyInstance,
  identity: TlsIdentity,
): { listen(host: string, port: number): Promise<string>; close(): Promise<void> } {
  let server: Server | undefined;
  return {
    async listen(host, port) {
      await app.ready();
      server = createServer(
        { key: identity.key, cert: identity.cert, minVersion: 'TLSv1.2' },
        (request, response) => {
          app.routing(request, response);
        },
      );
      server.listen(port, host);
      await once(server, 'listening');
      const address = server.address() as AddressInfo;
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `https://${shown}:${address.port}`;
    },
    async close() {
      const running = server;
      if (running !== undefined) {
        const closed = once(running, 'close');
        running.close();
        running.closeIdleConnections();
        await closed;
      }
      await app.close();
    },
  };
}
