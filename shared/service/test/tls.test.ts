import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, TLSSocket } from 'node:tls';
import { describe, it } from 'node:test';
import { createHttpApp } from '@ocf/http';
import { createMemoryLogger } from '@ocf/logging';
import { httpsListener, selfSignedIdentity } from '../src/tls.ts';

/** GET over HTTPS without checking the certificate, as the load balancer does with its targets. */
function getInsecure(url: string): Promise<{ status: number; body: string; peer: X509Certificate }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { rejectUnauthorized: false }, (response) => {
      const socket = response.socket;
      if (!(socket instanceof TLSSocket)) {
        reject(new Error('the response did not come over TLS'));
        return;
      }
      const peer = new X509Certificate(socket.getPeerCertificate().raw);
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body, peer });
      });
    });
    request.on('error', reject);
    request.end();
  });
}

describe('HTTPS for the HTTP side (HTTP_TLS=self-signed)', () => {
  it('makes a fresh key and a self-signed certificate for the name given', async () => {
    const first = await selfSignedIdentity('ocf-test-directory');
    const second = await selfSignedIdentity('ocf-test-directory');
    const certificate = new X509Certificate(first.cert);
    assert.match(certificate.subject, /CN=ocf-test-directory/);
    assert.equal(certificate.subject, certificate.issuer, 'self-signed');
    assert.ok(certificate.verify(certificate.publicKey), 'signed by its own key');
    assert.ok(certificate.checkPrivateKey((await import('node:crypto')).createPrivateKey(first.key)));
    assert.notEqual(first.key, second.key, 'each start has a key of its own');
  });

  it("serves the app's routes, hooks and errors over TLS and nothing over plain HTTP", async () => {
    const app = createHttpApp({ service: 'directory', logger: createMemoryLogger() });
    app.get('/boom', () => {
      throw new Error('internal detail');
    });
    const identity = await selfSignedIdentity('ocf-test-directory');
    const listener = httpsListener(app, identity);
    const url = await listener.listen('127.0.0.1', 0);
    try {
      assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const health = await getInsecure(`${url}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(JSON.parse(health.body), { status: 'ok', service: 'directory' });
      assert.equal(health.peer.fingerprint256, new X509Certificate(identity.cert).fingerprint256);
      // The shared error handler still answers (no internals in a 500) ...
      const boom = await getInsecure(`${url}/boom`);
      assert.equal(boom.status, 500);
      assert.deepEqual(JSON.parse(boom.body), { error: 'INTERNAL', message: 'internal error' });
      // ... and so does the not-found handler.
      assert.equal((await getInsecure(`${url}/nowhere`)).status, 404);

      // TLS 1.2 is accepted (the load balancer speaks it to targets) ...
      const version = await new Promise<string | null>((resolve, reject) => {
        const socket = connect(
          {
            host: '127.0.0.1',
            port: Number(new URL(url).port),
            rejectUnauthorized: false,
            maxVersion: 'TLSv1.2',
          },
          () => {
            resolve(socket.getProtocol());
            socket.end();
          },
        );
        socket.on('error', reject);
      });
      assert.equal(version, 'TLSv1.2');

      // ... and a plain HTTP request gets no answer from the app.
      const plain = await new Promise<number | Error>((resolve) => {
        const request = httpRequest(`${url.replace('https:', 'http:')}/healthz`, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on('error', resolve);
        request.end();
      });
      assert.ok(plain instanceof Error || plain === 400, `plain HTTP answered ${String(plain)}`);
    } finally {
      await listener.close();
    }
  });
});
