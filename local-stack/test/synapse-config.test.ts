import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createNaming, roomKey } from '@ocf/naming';
import { synapseContainerSetup } from '../src/containers.ts';
import { LocalStackError } from '../src/errors.ts';
import { prepareSynapse } from '../src/synapse.ts';
import {
  generateSigningKey,
  generateSynapseSecrets,
  renderSynapseFiles,
  type SynapseSetup,
} from '../src/synapse-config.ts';

const setup: SynapseSetup = {
  serverName: 'fleet.example.org',
  bindAddress: '127.0.0.1',
  port: 18008,
  configDir: '/state/synapse',
  dataDir: '/state/synapse',
  logFile: '/state/logs/homeserver.log',
  appserviceUrl: 'http://127.0.0.1:9009',
  secrets: generateSynapseSecrets(),
};

/** Renders `setup` and parses the files back, as Synapse would (JSON is YAML). */
function rendered(from: SynapseSetup = setup) {
  const files = renderSynapseFiles(from);
  return {
    homeserver: JSON.parse(files.homeserver) as Record<string, unknown>,
    appservice: JSON.parse(files.appservice) as {
      id: string;
      url: string;
      as_token: string;
      hs_token: string;
      sender_localpart: string;
      rate_limited: boolean;
      namespaces: {
        users: { exclusive: boolean; regex: string }[];
        aliases: { exclusive: boolean; regex: string }[];
      };
    },
    logConfig: JSON.parse(files.logConfig) as { handlers: { main: Record<string, string> } },
    signingKey: files.signingKey,
  };
}

describe('Synapse config', () => {
  it('closes public registration and keeps shared-secret registration for tests', () => {
    const { homeserver } = rendered();
    assert.equal(homeserver['enable_registration'], false);
    assert.equal(homeserver['registration_shared_secret'], setup.secrets.registrationSharedSecret);
  });

  it('listens only where told, serves only the client API, and federates with nobody', () => {
    const { homeserver } = rendered();
    assert.deepEqual(homeserver['listeners'], [
      {
        port: 18008,
        bind_addresses: ['127.0.0.1'],
        type: 'http',
        tls: false,
        x_forwarded: false,
        resources: [{ names: ['client'], compress: false }],
      },
    ]);
    assert.deepEqual(homeserver['federation_domain_whitelist'], []);
    assert.deepEqual(homeserver['trusted_key_servers'], []);
    assert.equal(homeserver['report_stats'], false);
  });

  it('keeps its database and media in the data folder and names its other files in the config folder', () => {
    const { homeserver } = rendered({ ...setup, configDir: '/config', dataDir: '/data' });
    assert.deepEqual(homeserver['database'], { name: 'sqlite3', args: { database: '/data/homeserver.db' } });
    assert.equal(homeserver['media_store_path'], '/data/media_store');
    assert.equal(homeserver['signing_key_path'], '/config/signing.key');
    assert.equal(homeserver['log_config'], '/config/log-config.yaml');
    assert.deepEqual(homeserver['app_service_config_files'], ['/config/appservice-ocf-bridge.yaml']);
  });

  it('raises the rate limits that throttle a fleet-sized burst of rooms, joins and invites', () => {
    const { homeserver } = rendered();
    for (const key of [
      'rc_room_creation',
      'rc_message',
      'rc_registration',
      'rc_joins_per_room',
      'rc_admin_redaction',
    ]) {
      assert.ok((homeserver[key] as { per_second: number }).per_second >= 1000, key);
    }
    const invites = homeserver['rc_invites'] as Record<string, { burst_count: number }>;
    assert.deepEqual(Object.keys(invites).sort(), ['per_issuer', 'per_room', 'per_user']);
  });

  it('registers the fleet bridge as an application service that alone owns the agents', () => {
    const { appservice } = rendered();
    assert.equal(appservice.id, 'ocf-bridge');
    assert.equal(appservice.url, 'http://127.0.0.1:9009');
    assert.equal(appservice.as_token, setup.secrets.asToken);
    assert.equal(appservice.hs_token, setup.secrets.hsToken);
    assert.notEqual(appservice.as_token, appservice.hs_token);
    assert.equal(appservice.sender_localpart, 'fleet-bot');
    assert.equal(appservice.rate_limited, false);

    assert.equal(appservice.namespaces.users.length, 1);
    const users = appservice.namespaces.users[0]!;
    assert.equal(users.exclusive, true);
    const agents = new RegExp(`^${users.regex}$`);
    assert.match('@agent-42:fleet.example.org', agents);
    assert.doesNotMatch('@bob:fleet.example.org', agents);
    // The dots of the server name are literal: a look-alike server's users are not the bridge's.
    assert.doesNotMatch('@agent-42:fleetXexample.org', agents);

    // Org rooms' aliases are the bridge's alone, as agents are: nobody can take one first.
    assert.equal(appservice.namespaces.aliases.length, 1);
    const aliases = appservice.namespaces.aliases[0]!;
    assert.equal(aliases.exclusive, true);
    const orgRooms = new RegExp(`^${aliases.regex}$`);
    for (const namespace of [undefined, 'staging']) {
      const naming = createNaming({ serverName: 'fleet.example.org', namespace });
      assert.match(naming.alias(roomKey({ kind: 'leadership', department: 'Research' })), orgRooms);
      assert.match(naming.agentUserId('ada'), agents);
    }
    // Everything else stays people's: their own rooms and aliases are not the bridge's business.
    assert.doesNotMatch('#research-leadership:fleet.example.org', orgRooms);
    assert.doesNotMatch('#random:fleet.example.org', orgRooms);
    assert.doesNotMatch('#org-x:fleetXexample.org', orgRooms);
  });

  it('logs to the stack log file, or to stderr in a container, and never at DEBUG', () => {
    assert.deepEqual(rendered().logConfig.handlers.main, {
      class: 'logging.FileHandler',
      formatter: 'precise',
      filename: '/state/logs/homeserver.log',
      encoding: 'utf8',
    });
    const container = synapseContainerSetup({
      serverName: 'localhost',
      secrets: setup.secrets,
      bridgeAppservicePort: 9009,
    });
    assert.equal(rendered(container).logConfig.handlers.main['class'], 'logging.StreamHandler');
    assert.equal(rendered(container).appservice.url, 'http://host.docker.internal:9009');
    assert.doesNotMatch(renderSynapseFiles(setup).logConfig, /DEBUG/);
  });

  it('writes a signing key in the format of Synapse --generate-keys', () => {
    const line = generateSigningKey();
    const match = /^ed25519 a_[A-Za-z]{4} ([A-Za-z0-9+/]+)\n$/.exec(line);
    assert.ok(match, line);
    assert.equal(Buffer.from(match[1]!, 'base64').length, 32);
    assert.notEqual(generateSigningKey(), line);
  });
});

describe('prepareSynapse', () => {
  const dirs: string[] = [];
  after(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });
  async function stateDir(): Promise<{ synapseDir: string; logsDir: string }> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ocf-synapse-config-'));
    dirs.push(dir);
    return { synapseDir: path.join(dir, 'synapse'), logsDir: path.join(dir, 'logs') };
  }
  const settings = { serverName: 'localhost', synapsePort: 18008, bridgeAppservicePort: 9009 };

  it('keeps the secrets across regenerations, so users and the bridge survive down and up', async () => {
    const dirs = await stateDir();
    const first = await prepareSynapse({ ...dirs, ...settings });
    const firstFiles = await readFile(first.configFile, 'utf8');
    const second = await prepareSynapse({ ...dirs, ...settings, synapsePort: 18009 });

    assert.deepEqual(second.setup.secrets, first.setup.secrets);
    assert.notEqual(await readFile(second.configFile, 'utf8'), firstFiles, 'the new port is written');
    const other = await prepareSynapse({ ...(await stateDir()), ...settings });
    assert.notEqual(
      other.setup.secrets.registrationSharedSecret,
      first.setup.secrets.registrationSharedSecret,
    );
  });

  it('writes every file owner-only, because they hold the secrets', async () => {
    const dirs = await stateDir();
    await prepareSynapse({ ...dirs, ...settings });
    for (const file of ['homeserver.yaml', 'appservice-ocf-bridge.yaml', 'signing.key', 'instance.json']) {
      assert.equal((await stat(path.join(dirs.synapseDir, file))).mode & 0o777, 0o600, file);
    }
    assert.equal((await stat(dirs.synapseDir)).mode & 0o777, 0o700);
  });

  it('refuses to rename an existing homeserver, which Synapse cannot do', async () => {
    const dirs = await stateDir();
    await prepareSynapse({ ...dirs, ...settings });
    await assert.rejects(
      prepareSynapse({ ...dirs, ...settings, serverName: 'fleet.example.org' }),
      (error: unknown) => error instanceof LocalStackError && error.code === 'SERVER_NAME_CHANGED',
    );
  });
});
