// The agent's entrypoint: what each agent task (or local agent process) runs. It reads the
// agent's place in the org and its credentials, writes OpenClaw's configuration and the agent's
// persona, serves the people directory tool, then runs the OpenClaw gateway and stays with it:
// SIGTERM stops the gateway cleanly, and a gateway that dies takes the entrypoint down with a
// non-zero exit, so the fleet sees a dead agent rather than a hollow container.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createLogger, type Logger } from '@ocf/logging';
import { loadAgentConfig, type AgentConfig } from './config.ts';
import { readAgentCredentials } from './credentials.ts';
import { createOrgSource, startDirectoryTool, type DirectoryTool } from './directory-tool/server.ts';
import { createDirectoryClient } from './org/directory-client.ts';
import { createNaming } from '@ocf/naming';
import { orgRoomAliases } from './org/org-rooms.ts';
import { OrgChart, type Person } from './org/people.ts';
import { buildGatewayConfig, type ModelSettings } from './openclaw/gateway-config.ts';
import {
  gatewayEnvironment,
  startGateway,
  sizeOf,
  waitForMatrixLogin,
  waitUntilReady,
  type GatewayProcess,
} from './openclaw/gateway.ts';
import {
  consumeResumeState,
  hasListened,
  markListened,
  restoreResumeState,
  saveResumeState,
} from './openclaw/resume.ts';
import { seedSyncPosition } from './openclaw/sync-store.ts';
import { prepareState, readPluginManifest, writeGatewayConfig, writeSecrets } from './openclaw/state.ts';
import { loadTemplates, renderPersona } from './persona/persona.ts';
import { writePersona } from './persona/workspace.ts';

const PACKAGE_ROOT = resolve(import.meta.dirname, '..');
const TEMPLATES = join(PACKAGE_ROOT, 'templates');
const LOOP_GUARD_PLUGIN = join(PACKAGE_ROOT, 'openclaw-plugin');
const DEFAULT_PLUGIN_HOME = join(PACKAGE_ROOT, '.openclaw-plugins');

let config: AgentConfig;
try {
  config = loadAgentConfig();
} catch (error) {
  // A configuration error names every bad setting; its stack trace would only hide them.
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
const logger = createLogger({
  service: 'agent-container',
  level: config.LOG_LEVEL,
  persistentKeys: { agentId: config.AGENT_ID },
});

let gateway: GatewayProcess | undefined;
let directoryTool: DirectoryTool | undefined;
let ownedStateDir: string | undefined;
/** Where this run's gateway keeps its state, and the plugin home it came from: saved at a clean stop. */
let resumable: { stateDir: string; pluginHome: string } | undefined;
let stopping = false;

process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

try {
  await run(config, logger);
} catch (error) {
  logger.error('agent failed to start', { error });
  await cleanUp();
  process.exit(1);
}

async function run(config: AgentConfig, logger: Logger): Promise<void> {
  // The secret first: it holds the agent's read token for the directory (ADR 0016). Read by ARN,
  // it is read again while the bridge has not added the Matrix token yet (a task replaced for a
  // rotation may start a moment before the bridge mints it, ADR 0020); a file is what it is.
  const secretsManager = new SecretsManagerClient({ region: config.AWS_REGION });
  const source =
    config.AGENT_SECRET_ARN === undefined
      ? { file: config.AGENT_SECRET_FILE ?? '' }
      : { arn: config.AGENT_SECRET_ARN };
  const readCredentials = () =>
    readAgentCredentials({
      secretsManager,
      environment: config.OCF_ENV,
      agentId: config.AGENT_ID,
      source,
      modelApiKeyArn: config.OPENAI_API_KEY_SECRET_ARN,
    });
  const credentials =
    'arn' in source ? await withRetries(readCredentials, logger, 'agent secret') : await readCredentials();
  const directory = createDirectoryClient(config.DIRECTORY_URL, { token: credentials.directoryToken });
  const org = new OrgChart(await withRetries(() => directory.listPeople(), logger, 'directory'));
  const self = org.get(config.AGENT_ID);
  if (self === undefined) {
    throw new Error(`agent ${config.AGENT_ID} is not a current member of the org in the directory`);
  }

  // loadAgentConfig made sure one of the two is there.
  const serverName =
    config.MATRIX_SERVER_NAME ?? config.MATRIX_USER_ID?.slice(config.MATRIX_USER_ID.indexOf(':') + 1);
  if (serverName === undefined) throw new Error('no Matrix server name');
  const naming = createNaming({ serverName, namespace: config.MATRIX_NAMESPACE });
  const matrixUserId = config.MATRIX_USER_ID ?? naming.agentUserId(self.agentId);
  const reports = org.reportsOf(self.agentId);

  const persona = renderPersona(await loadTemplates(TEMPLATES), {
    self,
    manager: org.managerOf(self),
    reports,
    teammates: org.teamOf(self).filter((p) => p.agentId !== self.agentId),
    chain: org.chainOfCommand(self),
    matrixUserId: (person: Person) => naming.agentUserId(person.agentId),
  });
  const rewritten = await writePersona(config.AGENT_WORKSPACE, persona);

  directoryTool = await startDirectoryTool({
    org: createOrgSource(async () => new OrgChart(await directory.listPeople()), 60_000),
    matrixUserId: (agentId) => naming.agentUserId(agentId),
    logger,
  });

  const model = modelSettings(config, self);
  const pluginHome = config.OPENCLAW_PLUGIN_HOME ?? DEFAULT_PLUGIN_HOME;
  await requirePlugins(pluginHome, model.provider === 'bedrock' ? ['matrix', 'amazon-bedrock'] : ['matrix']);
  const stateDir =
    config.OPENCLAW_STATE_DIR ??
    (ownedStateDir = await mkdtemp(join(tmpdir(), `ocf-agent-${self.agentId}-`)));
  // What the previous run saved at its clean stop (ADR 0019): the Matrix sync position, so messages
  // sent while the agent was stopped or asleep are answered now.
  const restored = await restoreResumeState({ stateDir, storage: config.AGENT_WORKSPACE, pluginHome });
  if (restored !== undefined) logger.info('resuming from the last clean stop', { ...restored });
  // Never listened (no snapshot, no marker): a gateway with no sync position drops every message
  // sent before its start, the one that first woke it too. It starts from where its account's
  // sync stream was before it was in any room, which the bridge put in its secret (ADR 0028).
  const syncFrom = credentials.matrixSyncFrom;
  if (restored === undefined && syncFrom !== undefined && !(await hasListened(config.AGENT_WORKSPACE))) {
    await seedSyncPosition({
      stateDir,
      homeserverUrl: config.MATRIX_HOMESERVER_URL,
      userId: matrixUserId,
      accessToken: credentials.matrixAccessToken.reveal(),
      since: syncFrom,
    });
    logger.info('first start: syncing from before the agent was in any room', { syncFrom });
  }
  const layout = await prepareState(stateDir, pluginHome);
  if (config.MODEL_PROVIDER === 'gateway' && credentials.modelGatewayKey === undefined) {
    throw new Error(
      `the agent's secret holds no model key (written before the model gateway): rotate its credentials (POST /v1/agents/${self.agentId}/credentials/rotate)`,
    );
  }
  resumable = { stateDir, pluginHome };
  await writeSecrets(
    layout,
    config.MODEL_PROVIDER === 'gateway'
      ? { ...credentials, modelApiKey: credentials.modelGatewayKey }
      : credentials,
  );
  const orgRooms = orgRoomAliases(naming, self, reports);
  await writeGatewayConfig(
    layout,
    buildGatewayConfig({
      port: config.GATEWAY_PORT,
      workspace: config.AGENT_WORKSPACE,
      secretsFile: layout.secretsFile,
      logFile: layout.logFile,
      homeserverUrl: config.MATRIX_HOMESERVER_URL,
      matrixUserId,
      orgRooms,
      dmAllowFrom: dmAllowList(org, self, (agentId) => naming.agentUserId(agentId), config.MATRIX_ORG_HUMANS),
      model,
      directoryToolUrl: directoryTool.url,
      heartbeatEvery: config.HEARTBEAT_EVERY,
      loopGuard: {
        pluginDir: LOOP_GUARD_PLUGIN,
        maxAgentTurns: config.LOOP_GUARD_MAX_AGENT_TURNS,
        windowSeconds: config.LOOP_GUARD_WINDOW_SECONDS,
        agentUserIdPrefix: naming.agentUserIdAffixes.prefix,
        agentUserIdSuffix: naming.agentUserIdAffixes.suffix,
      },
    }),
  );

  const logOffset = await sizeOf(layout.logFile);
  gateway = startGateway({
    env: gatewayEnvironment(process.env, layout, { awsCredentials: model.provider === 'bedrock' }),
    cwd: config.AGENT_WORKSPACE,
  });
  logger.info('gateway started', {
    pid: gateway.pid,
    matrixUserId,
    model: `${model.provider}/${model.modelId}`,
    orgRooms,
    personaFilesRewritten: rewritten,
    stateDir,
  });

  const ready = new AbortController();
  void gateway.exited.then(async (exit) => {
    ready.abort();
    if (stopping) return;
    logger.error('gateway exited on its own', { exitCode: exit.code, signal: exit.signal });
    await cleanUp();
    process.exit(exit.code !== null && exit.code !== 0 ? exit.code : 1);
  });
  await waitUntilReady({
    port: config.GATEWAY_PORT,
    warnAfterMs: config.STARTUP_WARN_SECONDS * 1000,
    onSlow: () => {
      logger.warn('gateway not ready yet', { waitedSeconds: config.STARTUP_WARN_SECONDS });
    },
    signal: ready.signal,
  });
  await waitForMatrixLogin({ logFile: layout.logFile, from: logOffset, signal: ready.signal });
  if (!ready.signal.aborted) {
    // Listening now: from here a crash must not resume from this snapshot (ADR 0019), nor from
    // the first session's position (ADR 0028), again.
    await markListened(config.AGENT_WORKSPACE);
    if (restored !== undefined) await consumeResumeState(config.AGENT_WORKSPACE);
  }
  if (!ready.signal.aborted) {
    logger.info('agent ready', {
      healthUrl: `http://127.0.0.1:${config.GATEWAY_PORT}/healthz`,
      matrixUserId,
    });
  }
}

function modelSettings(config: AgentConfig, self: Person): ModelSettings {
  if (config.MODEL_PROVIDER === 'gateway') {
    // The gateway decides the fleet's model; the agent's own choice goes along as the name it asks for.
    return {
      provider: 'openai-compatible',
      baseUrl: `${(config.MODEL_GATEWAY_URL ?? '').replace(/\/+$/, '')}/v1`,
      modelId: self.model ?? config.MODEL_ID ?? 'fleet-default',
      hasApiKey: true,
    };
  }
  const modelId = self.model ?? config.MODEL_ID;
  if (modelId === undefined)
    throw new Error('no model: set MODEL_ID, or give the agent a model in the directory');
  if (config.MODEL_PROVIDER === 'bedrock') return { provider: 'bedrock', region: config.AWS_REGION, modelId };
  return {
    provider: 'openai-compatible',
    baseUrl: config.OPENAI_BASE_URL ?? '',
    modelId,
    hasApiKey: config.OPENAI_API_KEY_SECRET_ARN !== undefined,
  };
}

/** Everyone in the org may write to the agent directly: its fellow agents and the org's humans. */
function dmAllowList(
  org: OrgChart,
  self: Person,
  agentUserId: (agentId: string) => string,
  humans: readonly string[],
): string[] {
  const agents = org
    .people()
    .filter((p) => p.agentId !== self.agentId)
    .map((p) => agentUserId(p.agentId));
  return [...new Set([...humans, ...agents])];
}

/**
 * The gateway must never install a plugin at run time (it would, from npm, for any configured
 * plugin it cannot find): so the entrypoint checks the image has them before configuring them.
 */
async function requirePlugins(pluginHome: string, needed: readonly string[]): Promise<void> {
  const installed = await readPluginManifest(pluginHome);
  const missing = needed.filter((id) => installed[id] === undefined);
  if (missing.length > 0) {
    throw new Error(
      `OpenClaw plugin(s) ${missing.join(', ')} not installed in ${pluginHome}; rebuild the image (or rerun install-openclaw-plugins.ts${missing.includes('amazon-bedrock') ? ' --with-bedrock' : ''})`,
    );
  }
}

/** The directory may be restarting when an agent starts: a few tries before giving up. */
async function withRetries<T>(
  action: () => Promise<T>,
  logger: Logger,
  what: string,
  attempts = 6,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      const retryable = (error as { retryable?: unknown }).retryable !== false;
      if (!retryable || attempt >= attempts) throw error;
      logger.warn(`${what} not ready yet, retrying`, { attempt, error });
      await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** (attempt - 1), 10_000)));
    }
  }
}

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info('stopping', { signal });
  const exit = await gateway?.stop(config.SHUTDOWN_TIMEOUT_MS);
  const clean = exit === undefined || exit.code === 0;
  // Only a gateway that shut down by itself wrote its sync position with the clean-shutdown mark.
  if (exit !== undefined && exit.code === 0 && resumable !== undefined) {
    try {
      const saved = await saveResumeState({ ...resumable, storage: config.AGENT_WORKSPACE });
      // `sync`: whether OpenClaw marked its sync position clean; `unclean` is repaired at the next
      // start when its replay guard comes back with it (ADR 0028).
      logger[saved.sync === 'unclean' ? 'warn' : 'info']('saved state for the next start', {
        entries: saved.entries,
        sync: saved.sync,
      });
    } catch (error) {
      logger.warn('could not save state for the next start; it will start fresh', { error });
    }
  }
  await cleanUp();
  logger[clean ? 'info' : 'warn']('stopped', {
    gatewayExitCode: exit?.code ?? null,
    gatewaySignal: exit?.signal ?? null,
  });
  process.exit(clean ? 0 : 1);
}

async function cleanUp(): Promise<void> {
  await directoryTool?.close();
  // A state directory the entrypoint made is this run's alone, secret file included.
  if (ownedStateDir !== undefined) await rm(ownedStateDir, { recursive: true, force: true });
}
