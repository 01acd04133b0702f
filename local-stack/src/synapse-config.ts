/**
 * Synapse's configuration for the fleet, as file contents. Pure apart from secret generation, and
 * shared by the two ways Synapse runs: a local process (synapse.ts) and a test container
 * (tests/support/backends.ts). Files are JSON, which is valid YAML, so no YAML writer is needed.
 */
import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import path from 'node:path';
import { AGENT_LOCALPART_PREFIX, exclusiveNamespaces } from '@ocf/naming';

/** Generated once per homeserver and kept: a change would invalidate users' sessions and the bridge. */
export interface SynapseSecrets {
  /** Lets tests and tools create users through /_synapse/admin/v1/register while registration is closed. */
  registrationSharedSecret: string;
  macaroonSecretKey: string;
  formSecret: string;
  /** The bridge's token towards Synapse, and Synapse's towards the bridge. */
  asToken: string;
  hsToken: string;
  /** The server's ed25519 signing key, in Synapse's signing-key file format. */
  signingKey: string;
}

export interface SynapseSetup {
  serverName: string;
  /** Where Synapse listens, as seen from where it runs (127.0.0.1 locally, 0.0.0.0 in a container). */
  bindAddress: string;
  port: number;
  /** The folder holding these files, as Synapse sees it. */
  configDir: string;
  /** The folder for the SQLite database and the media store, as Synapse sees it (may be configDir). */
  dataDir: string;
  /** Synapse's own log file; undefined logs to stderr (where a container's logs belong). */
  logFile: string | undefined;
  /** Where Synapse reaches the bridge's application-service endpoint. */
  appserviceUrl: string;
  secrets: SynapseSecrets;
}

export const SYNAPSE_FILE_NAMES = {
  homeserver: 'homeserver.yaml',
  appservice: 'appservice-ocf-bridge.yaml',
  logConfig: 'log-config.yaml',
  signingKey: 'signing.key',
} as const;

/** File contents, by the keys of SYNAPSE_FILE_NAMES. */
export type SynapseFiles = Record<keyof typeof SYNAPSE_FILE_NAMES, string>;

/** The fleet bridge's identity on the homeserver. */
export const BRIDGE_APPSERVICE = {
  id: 'ocf-bridge',
  senderLocalpart: 'fleet-bot',
  /** Agents are `@agent-<id>:<server>`; the bridge owns that namespace exclusively. */
  userLocalpartPrefix: AGENT_LOCALPART_PREFIX,
} as const;

/**
 * Far above anything a test or a local fleet of thousands of agents does, so that a rate limit
 * never masquerades as a bug. The bridge itself is exempt anyway (`rate_limited: false`); these
 * cover the test harness's own users and the human-like clients in end-to-end tests.
 */
const GENEROUS = { per_second: 1000, burst_count: 100_000 };

export function generateSynapseSecrets(): SynapseSecrets {
  const secret = (): string => randomBytes(32).toString('base64url');
  return {
    registrationSharedSecret: secret(),
    macaroonSecretKey: secret(),
    formSecret: secret(),
    asToken: secret(),
    hsToken: secret(),
    signingKey: generateSigningKey(),
  };
}

/**
 * `ed25519 a_XXXX <unpadded base64 of the 32-byte seed>`, the line Synapse's `--generate-keys`
 * writes. Made here so the process and the container paths need no Python step before start.
 */
export function generateSigningKey(): string {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  if (jwk.d === undefined) throw new Error('node:crypto returned an ed25519 key without its private part');
  const seed = Buffer.from(jwk.d, 'base64url').toString('base64').replace(/=+$/, '');
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const version = Array.from({ length: 4 }, () => letters[randomInt(letters.length)]).join('');
  return `ed25519 a_${version} ${seed}\n`;
}

export function renderSynapseFiles(setup: SynapseSetup): SynapseFiles {
  const file = (name: keyof typeof SYNAPSE_FILE_NAMES): string =>
    path.posix.join(setup.configDir, SYNAPSE_FILE_NAMES[name]);
  return {
    homeserver: json(homeserverConfig(setup, file)),
    appservice: json(appserviceRegistration(setup)),
    logConfig: json(logConfig(setup.logFile)),
    signingKey: setup.secrets.signingKey,
  };
}

function homeserverConfig(
  setup: SynapseSetup,
  file: (name: keyof typeof SYNAPSE_FILE_NAMES) => string,
): Record<string, unknown> {
  const { secrets } = setup;
  return {
    server_name: setup.serverName,
    report_stats: false,
    listeners: [
      {
        port: setup.port,
        bind_addresses: [setup.bindAddress],
        type: 'http',
        tls: false,
        x_forwarded: false,
        // The client API also carries the admin API and /health. No federation resource: the
        // fleet's homeserver talks to nobody else.
        resources: [{ names: ['client'], compress: false }],
      },
    ],
    federation_domain_whitelist: [],
    // No federation sender either: with no other server to send to, it only looked up each new
    // event's room hosts (~2-4 % of Synapse's CPU per hire, bench/cascade.ts). Same on AWS
    // (infra/docker/synapse/start.py).
    send_federation: false,
    // Caches, SQLite's statement cache and log levels stay at Synapse's defaults: bigger ones and
    // quieter logs did not cut its CPU per event (docs/benchmarks.md, "Synapse's settings: CPU per
    // event"); at N = 100 no cache that a second lookup could hit evicts anything.
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    database: { name: 'sqlite3', args: { database: path.posix.join(setup.dataDir, 'homeserver.db') } },
    media_store_path: path.posix.join(setup.dataDir, 'media_store'),
    signing_key_path: file('signingKey'),
    log_config: file('logConfig'),
    // Agents get accounts from the bridge, people from an admin: never by signing themselves up.
    enable_registration: false,
    registration_shared_secret: secrets.registrationSharedSecret,
    macaroon_secret_key: secrets.macaroonSecretKey,
    form_secret: secrets.formSecret,
    app_service_config_files: [file('appservice')],
    rc_message: GENEROUS,
    rc_registration: GENEROUS,
    rc_registration_token_validity: GENEROUS,
    rc_login: { address: GENEROUS, account: GENEROUS, failed_attempts: GENEROUS },
    rc_admin_redaction: GENEROUS,
    rc_joins: { local: GENEROUS, remote: GENEROUS },
    rc_joins_per_room: GENEROUS,
    rc_3pid_validation: GENEROUS,
    rc_invites: { per_room: GENEROUS, per_user: GENEROUS, per_issuer: GENEROUS },
    rc_third_party_invite: GENEROUS,
    rc_media_create: GENEROUS,
    rc_presence: { per_user: GENEROUS },
    rc_delayed_event_mgmt: GENEROUS,
    rc_room_creation: GENEROUS,
    rc_reports: GENEROUS,
    rc_user_directory: GENEROUS,
    rc_profile: GENEROUS,
  };
}

function appserviceRegistration(setup: SynapseSetup): Record<string, unknown> {
  const owned = exclusiveNamespaces(setup.serverName);
  return {
    id: BRIDGE_APPSERVICE.id,
    url: setup.appserviceUrl,
    as_token: setup.secrets.asToken,
    hs_token: setup.secrets.hsToken,
    sender_localpart: BRIDGE_APPSERVICE.senderLocalpart,
    // The bridge creates every agent and org room at once during a big hire; Synapse's per-user
    // limits would throttle it to a crawl.
    rate_limited: false,
    namespaces: {
      // Exclusive: nobody but the bridge may create or act as an agent.
      users: [{ exclusive: true, regex: owned.users }],
      // Exclusive: nobody but the bridge may create an org room's alias (`#org-…`), so nobody can
      // take one before the bridge needs it. People's own rooms and aliases are everything else.
      aliases: [{ exclusive: true, regex: owned.aliases }],
      rooms: [],
    },
  };
}

/** Python logging config: INFO and up to one file (or stderr), like Synapse's sample config. */
function logConfig(logFile: string | undefined): Record<string, unknown> {
  const handler =
    logFile === undefined
      ? { class: 'logging.StreamHandler', formatter: 'precise' }
      : { class: 'logging.FileHandler', formatter: 'precise', filename: logFile, encoding: 'utf8' };
  return {
    version: 1,
    formatters: {
      precise: { format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s' },
    },
    handlers: { main: handler },
    // Synapse logs SQL with its parameters, access tokens included, at DEBUG; never go below INFO.
    loggers: { 'synapse.storage.SQL': { level: 'INFO' } },
    root: { level: 'INFO', handlers: ['main'] },
    disable_existing_loggers: false,
  };
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
