import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
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
    const localHomeserver = JSON.parse(local.homeserver) as Record<string, unknown>;
    assert.equal(homeserver['send_federation'], false, 'no federation sender');
    assert.equal(homeserver['send_federation'], localHomeserver['send_federation']);
    const listeners = homeserver['listeners'] as {
      port: number;
      tls: boolean;
      resources: { names: string[] }[];
    }[];
    assert.deepEqual(
      [...new Set(listeners.flatMap((l) => l.resources.flatMap((r) => r.names)))],
      ['client'],
      'no federation listener',
    );
    // Plain 8008 for the task's health check and its Service Connect proxy; TLS 8448 for the load
    // balancer (ADR 0027), with a key and certificate in the task-local config directory.
    assert.deepEqual(
      listeners.map((l) => [l.port, l.tls]),
      [
        [8008, false],
        [8448, true],
      ],
    );
    assert.equal(homeserver['tls_certificate_path'], path.join(out, 'tls.crt'));
    assert.equal(homeserver['tls_private_key_path'], path.join(out, 'tls.key'));
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

  it("makes the TLS listener's key and self-signed certificate with the cryptography Synapse ships", (t) => {
    // The local stack's Synapse virtualenv has the same `cryptography` the image has.
    const venvPython = path.join(process.env['OCF_VENV_DIR'] ?? '/work/venv', 'bin', 'python');
    if (!existsSync(venvPython)) {
      t.skip(`no Synapse virtualenv at ${venvPython} (set OCF_VENV_DIR)`);
      return;
    }
    const out = mkdtempSync(path.join(tmpdir(), 'ocf-synapse-tls-'));
    const config = {
      tls_certificate_path: path.join(out, 'tls.crt'),
      tls_private_key_path: path.join(out, 'tls.key'),
    };
    execFileSync(venvPython, [
      '-c',
      `import sys, json; sys.path.insert(0, ${JSON.stringify(SYNAPSE_DIR)}); import start; start.write_self_signed(json.loads(sys.argv[1]), 'test.ocf.internal')`,
      JSON.stringify(config),
    ]);
    const certificate = new X509Certificate(readFileSync(config.tls_certificate_path));
    assert.match(certificate.subject, /CN=test\.ocf\.internal/);
    assert.ok(certificate.verify(certificate.publicKey), 'self-signed');
    assert.ok(certificate.checkPrivateKey(createPrivateKey(readFileSync(config.tls_private_key_path))));
    assert.equal(
      statSync(config.tls_private_key_path).mode & 0o077,
      0,
      'the key is readable by its owner only',
    );
  });

  it("renders Synapse workers' config, which Synapse's own config loader accepts (main, generic worker, event persister)", (t) => {
    const venvPython = path.join(process.env['OCF_VENV_DIR'] ?? '/work/venv', 'bin', 'python');
    if (!existsSync(venvPython)) {
      t.skip(`no Synapse virtualenv at ${venvPython} (set OCF_VENV_DIR)`);
      return;
    }
    const secrets = generateSynapseSecrets();
    const base = {
      PATH: process.env['PATH'] ?? '',
      SYNAPSE_SERVER_NAME: 'test.ocf.internal',
      SYNAPSE_PUBLIC_BASEURL: 'https://fleet.test.internal/',
      SYNAPSE_APPSERVICE_URL: 'http://bridge-appservice:9009',
      SYNAPSE_DB_HOST: 'db.internal',
      SYNAPSE_DB_PORT: '5432',
      SYNAPSE_DB_NAME: 'synapse',
      SYNAPSE_DB_USER: 'synapse',
      SYNAPSE_DB_PASSWORD: 'not-a-real-password',
      SYNAPSE_AS_TOKEN: secrets.asToken,
      SYNAPSE_HS_TOKEN: secrets.hsToken,
      SYNAPSE_MACAROON_SECRET_KEY: secrets.macaroonSecretKey,
      SYNAPSE_FORM_SECRET: secrets.formSecret,
      SYNAPSE_REDIS_PASSWORD: 'not-a-real-redis-token',
      SYNAPSE_REPLICATION_SECRET: 'not-a-real-replication-secret',
      SYNAPSE_WORKERS: JSON.stringify({
        redis: { host: 'redis.internal', port: 6379 },
        instances: {
          main: { host: 'homeserver-replication', port: 9093 },
          'event-persister-1': { host: 'event-persister-1', port: 9093 },
        },
        eventWriters: ['event-persister-1'],
      }),
    };
    const out = mkdtempSync(path.join(tmpdir(), 'ocf-synapse-workers-'));
    const processes = {
      main: {},
      generic: {
        SYNAPSE_WORKER_NAME: 'generic',
        SYNAPSE_WORKER_NAME_BY_HOST: 'true',
        SYNAPSE_WORKER_SERVES: 'client',
      },
      persister: { SYNAPSE_WORKER_NAME: 'event-persister-1', SYNAPSE_WORKER_SERVES: 'replication' },
    };
    for (const [name, extra] of Object.entries(processes)) {
      execFileSync(venvPython, [path.join(SYNAPSE_DIR, 'start.py'), '--render-only', path.join(out, name)], {
        env: { ...base, ...extra },
      });
    }
    // Synapse's own loader, as each process starts: the files as start.py wrote them, with a
    // signing key and the TLS listener's certificate where the config says. The image installs
    // Synapse with all extras; the local virtualenv lacks the Redis ones, so their check is skipped.
    const loaded = execFileSync(
      venvPython,
      [
        '-c',
        `
import json, os, sys
sys.path.insert(0, ${JSON.stringify(SYNAPSE_DIR)})
import start
from signedjson.key import generate_signing_key, write_signing_keys
import synapse.config.redis
synapse.config.redis.check_requirements = lambda *args, **kwargs: None
from synapse.config.homeserver import HomeServerConfig
out = sys.argv[1]
result = {}
for name in ("main", "generic", "persister"):
    directory = os.path.join(out, name)
    path = os.path.join(directory, "homeserver.yaml")
    config = json.load(open(path))
    config["signing_key_path"] = os.path.join(directory, "signing.key")
    config["media_store_path"] = os.path.join(directory, "media")
    json.dump(config, open(path, "w"))
    with open(config["signing_key_path"], "w") as key:
        write_signing_keys(key, [generate_signing_key("a")])
    start.write_self_signed(config, "test.ocf.internal")
    paths = ["--config-path", path]
    if os.path.exists(os.path.join(directory, "worker.yaml")):
        paths += ["--config-path", os.path.join(directory, "worker.yaml")]
    loaded = HomeServerConfig.load_config("synapse", paths)
    result[name] = {
        "workerName": loaded.worker.worker_name,
        "instances": sorted(loaded.worker.instance_map),
        "eventWriters": list(loaded.worker.writers.events),
        "redis": [loaded.redis.redis_enabled, loaded.redis.redis_use_tls],
        "listeners": [[l.port, l.tls] for l in (loaded.worker.worker_listeners if loaded.worker.worker_name else loaded.server.listeners)],
    }
print(json.dumps(result))
`,
        out,
      ],
      { encoding: 'utf8' },
    );
    const result = JSON.parse(loaded) as Record<
      string,
      {
        workerName: string | null;
        instances: string[];
        eventWriters: string[];
        redis: boolean[];
        listeners: unknown[];
      }
    >;
    const of = (name: string) => {
      const found = result[name];
      assert.ok(found !== undefined, `${name} did not load`);
      return found;
    };
    for (const name of Object.keys(processes)) {
      const loadedConfig = of(name);
      // Synapse calls the main process "master" inside a worker's config.
      assert.deepEqual(
        loadedConfig.instances.map((instance) => (instance === 'master' ? 'main' : instance)).sort(),
        ['event-persister-1', 'main'],
        name,
      );
      assert.deepEqual(loadedConfig.eventWriters, ['event-persister-1'], name);
      assert.deepEqual(loadedConfig.redis, [true, true], `${name}: Redis over TLS`);
    }
    assert.equal(of('main').workerName, null);
    assert.deepEqual(of('main').listeners, [
      [8008, false],
      [8448, true],
      [9093, false],
    ]);
    assert.match(String(of('generic').workerName), /^generic-[a-z0-9-]+$/);
    assert.deepEqual(of('generic').listeners, [[8448, true]]);
    assert.equal(of('persister').workerName, 'event-persister-1');
    assert.deepEqual(of('persister').listeners, [[9093, false]]);
    // The secrets reach the task-local config only.
    const main = JSON.parse(readFileSync(path.join(out, 'main', 'homeserver.yaml'), 'utf8')) as {
      redis: { password: string };
      worker_replication_secret: string;
    };
    assert.equal(main.redis.password, 'not-a-real-redis-token');
    assert.equal(main.worker_replication_secret, 'not-a-real-replication-secret');
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
