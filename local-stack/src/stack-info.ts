import { mkdir, readFile, rm } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import path from 'node:path';
import { LocalStackError } from './errors.ts';
import { resolveStackSettings } from './settings.ts';
import { BRIDGE_APPSERVICE, type SynapseSetup } from './synapse-config.ts';

/** moto serves every region; the fleet's code and docs assume this one. */
export const LOCAL_REGION = 'us-east-1';

/** The bridge's application-service registration, as the bridge needs it. */
export interface AppserviceInfo {
  id: string;
  /** The bridge authenticates to Synapse with this. */
  asToken: string;
  /** Synapse authenticates to the bridge with this. */
  hsToken: string;
  senderLocalpart: string;
  /** Where Synapse pushes events for the bridge. */
  url: string;
  /** Localpart prefix of the users the bridge owns: `@${userPrefix}<id>:${serverName}`. */
  userPrefix: string;
}

/** Where the backends are and how to act on them: what tests and `fleet up` read. */
export interface StackInfo {
  awsEndpoint: string;
  region: string;
  homeserverUrl: string;
  serverName: string;
  registrationSharedSecret: string;
  appservice: AppserviceInfo;
}

/** The stack's description, from where its backends are and how its homeserver was set up. */
export function describeStack(
  endpoints: { awsEndpoint: string; homeserverUrl: string },
  synapse: Pick<SynapseSetup, 'serverName' | 'appserviceUrl' | 'secrets'>,
): StackInfo {
  return {
    awsEndpoint: endpoints.awsEndpoint,
    region: LOCAL_REGION,
    homeserverUrl: endpoints.homeserverUrl,
    serverName: synapse.serverName,
    registrationSharedSecret: synapse.secrets.registrationSharedSecret,
    appservice: {
      id: BRIDGE_APPSERVICE.id,
      asToken: synapse.secrets.asToken,
      hsToken: synapse.secrets.hsToken,
      senderLocalpart: BRIDGE_APPSERVICE.senderLocalpart,
      url: synapse.appserviceUrl,
      userPrefix: BRIDGE_APPSERVICE.userLocalpartPrefix,
    },
  };
}

/** The file holds secrets: owner-only, and replaced in one step so a reader never sees half of it. */
export async function writeStackInfo(file: string, info: StackInfo): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

export async function removeStackInfo(file: string): Promise<void> {
  await rm(file, { force: true });
}

/**
 * The running stack's endpoints and secrets, from `<stateDir>/stack.json` (the state folder
 * defaults to OCF_STACK_DIR, then `.local-stack/`).
 */
export async function readStackInfo(options: { stateDir?: string } = {}): Promise<StackInfo> {
  const file = resolveStackSettings(options).stackInfoFile;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new LocalStackError(
      'NOT_RUNNING',
      `no local stack is described at ${file}; start one with \`pnpm stack up\`.`,
      {
        cause: error,
      },
    );
  }
  return parseStackInfo(JSON.parse(text), file);
}

export function parseStackInfo(value: unknown, source: string): StackInfo {
  const root = asRecord(value);
  const appservice = asRecord(root['appservice']);
  const text = (record: Record<string, unknown>, key: string, label = key): string => {
    const field = record[key];
    if (typeof field !== 'string') {
      throw new LocalStackError(
        'NOT_RUNNING',
        `${source} lacks ${label}; run \`pnpm stack up\` to rewrite it.`,
      );
    }
    return field;
  };
  return {
    awsEndpoint: text(root, 'awsEndpoint'),
    region: text(root, 'region'),
    homeserverUrl: text(root, 'homeserverUrl'),
    serverName: text(root, 'serverName'),
    registrationSharedSecret: text(root, 'registrationSharedSecret'),
    appservice: {
      id: text(appservice, 'id', 'appservice.id'),
      asToken: text(appservice, 'asToken', 'appservice.asToken'),
      hsToken: text(appservice, 'hsToken', 'appservice.hsToken'),
      senderLocalpart: text(appservice, 'senderLocalpart', 'appservice.senderLocalpart'),
      url: text(appservice, 'url', 'appservice.url'),
      userPrefix: text(appservice, 'userPrefix', 'appservice.userPrefix'),
    },
  };
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}
