import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
// The local stack's Synapse is what the bridge is tested against; the homeserver on AWS must be
// the same software configured the same way where it matters.
import { SYNAPSE_IMAGE } from '../../local-stack/src/containers.ts';
import { generateSynapseSecrets, renderSynapseFiles } from '../../local-stack/src/synapse-config.ts';

const SYNAPSE_DIR = path.resolve(import.meta.dirname, '../docker/synapse');

function python(): string | undefined {
  for (const candidate of ['python3', 'python']) {
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

describe('the homeserver image', () => {
  it('is the Synapse version the local stack runs', () => {
    const dockerfile = readFileSync(path.join(SYNAPSE_DIR, 'Dockerfile'), 'utf8');
    assert.equal(/^ARG SYNAPSE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1], SYNAPSE_IMAGE);
  });

  it("renders a closed, unfederated homeserver with the local stack's bridge registration", (t) => {
    const interpreter = python();
    if (interpreter === undefined) {
      t.skip('no python3 on this machine');
      return;
    }
    const secrets = generateSynapseSecrets();
    const serverName = 'test.ocf.internal';
    const appserviceUrl = 'http://bridge.test.ocf.internal:9009';
    const out = mkdtempSync(path.join(tmpdir(), 'ocf-synapse-'));
    execFileSync(interpreter, [path.join(SYNAPSE_DIR, 'start.py'), '--render-only', out], {
      env: {
        PATH: process.env['PATH'] ?? '',
        SYNAPSE_SERVER_NAME: serverName,
        SYNAPSE_PUBLIC_BASEURL: 'http://internal-lb.example/',
        SYNAPSE_APPSERVICE_URL: appserviceUrl,
        SYNAPSE_DB_HOST: 'db.internal',
        SYNAPSE_DB_PORT: '5432',
        SYNAPSE_DB_NAME: 'synapse',
        SYNAPSE_DB_USER: 'synapse',
        SYNAPSE_DB_PASSWORD: 'not-a-real-password',
        SYNAPSE_AS_TOKEN: secrets.asToken,
        SYNAPSE_HS_TOKEN: secrets.hsToken,
        SYNAPSE_MACAROON_SECRET_KEY: secrets.macaroonSecretKey,
        SYNAPSE_FORM_SECRET: secrets.formSecret,
      },
    });
    const read = (name: string) =>
      JSON.parse(readFileSync(path.join(out, name), 'utf8')) as Record<string, unknown>;
    const homeserver = read('homeserver.yaml');
    const local = renderSynapseFiles({
      serverName,
      bindAddress: '0.0.0.0',
      port: 8008,
      configDir: '/config',
      dataDir: '/data',
      logFile: undefined,
      appserviceUrl,
      secrets,
    });

    assert.equal(homeserver['enable_registration'], false);
    // Off unless an operator bootstraps a human admin: nothing of the fleet uses it (ADR 0020).
    assert.equal('registration_shared_secret' in homeserver, false, 'no shared-secret registration');
    assert.deepEqual(homeserver['federation_domain_whitelist'], []);
    const listeners = homeserver['listeners'] as { resources: { names: string[] }[] }[];
    assert.deepEqual(
      listeners.flatMap((l) => l.resources.flatMap((r) => r.names)),
      ['client'],
      'no federation listener',
    );
    assert.equal((homeserver['database'] as { name: string }).name, 'psycopg2');
    // The bridge's registration is the local stack's, byte for byte where it matters.
    assert.deepEqual(read('appservice-ocf-bridge.yaml'), JSON.parse(local.appservice));
    const localLogging = JSON.parse(local.logConfig) as { loggers: unknown };
    assert.deepEqual(
      read('log-config.yaml')['loggers'],
      localLogging.loggers,
      'never logs SQL with its parameters',
    );
  });

  it('turns shared-secret registration on only while an operator sets its secret', (t) => {
    const interpreter = python();
    if (interpreter === undefined) {
      t.skip('no python3 on this machine');
      return;
    }
    const out = mkdtempSync(path.join(tmpdir(), 'ocf-synapse-'));
    const secrets = generateSynapseSecrets();
    execFileSync(interpreter, [path.join(SYNAPSE_DIR, 'start.py'), '--render-only', out], {
      env: {
        PATH: process.env['PATH'] ?? '',
        SYNAPSE_SERVER_NAME: 'test.ocf.internal',
        SYNAPSE_PUBLIC_BASEURL: 'http://internal-lb.example/',
        SYNAPSE_APPSERVICE_URL: 'http://bridge.test.ocf.internal:9009',
        SYNAPSE_DB_HOST: 'db.internal',
        SYNAPSE_DB_PORT: '5432',
        SYNAPSE_DB_NAME: 'synapse',
        SYNAPSE_DB_USER: 'synapse',
        SYNAPSE_DB_PASSWORD: 'not-a-real-password',
        SYNAPSE_AS_TOKEN: secrets.asToken,
        SYNAPSE_HS_TOKEN: secrets.hsToken,
        SYNAPSE_REGISTRATION_SHARED_SECRET: secrets.registrationSharedSecret,
        SYNAPSE_MACAROON_SECRET_KEY: secrets.macaroonSecretKey,
        SYNAPSE_FORM_SECRET: secrets.formSecret,
      },
    });
    const homeserver = JSON.parse(readFileSync(path.join(out, 'homeserver.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(homeserver['registration_shared_secret'], secrets.registrationSharedSecret);
  });
});
