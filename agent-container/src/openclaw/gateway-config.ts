/**
 * The OpenClaw configuration of one agent, as a pure function of its inputs. Everything here is
 * a decision; docs/agent-container.md explains each in a table and docs/adr/0009 the big ones.
 * Credentials appear only as references into the private secrets file (see SECRET_IDS).
 */

export type ModelSettings =
  | { readonly provider: 'bedrock'; readonly region: string; readonly modelId: string }
  | {
      readonly provider: 'openai-compatible';
      readonly baseUrl: string;
      readonly modelId: string;
      readonly hasApiKey: boolean;
    };

export interface GatewayConfigInput {
  readonly port: number;
  readonly workspace: string;
  readonly secretsFile: string;
  readonly logFile: string;
  readonly homeserverUrl: string;
  readonly matrixUserId: string;
  /** Aliases of the org rooms the agent belongs in: the only invitations it accepts. */
  readonly orgRooms: readonly string[];
  /** Everyone who may message the agent directly: the org's agents and humans. */
  readonly dmAllowFrom: readonly string[];
  readonly model: ModelSettings;
  readonly directoryToolUrl: string;
  readonly heartbeatEvery: string;
  readonly loopGuard: {
    readonly pluginDir: string;
    readonly maxAgentTurns: number;
    readonly windowSeconds: number;
    /** Matrix ids of the fleet's agents start and end with these (the bridge's namespace). */
    readonly agentUserIdPrefix: string;
    readonly agentUserIdSuffix: string;
  };
}

/** JSON pointers into the secrets file (SecretRef ids of OpenClaw's `file` provider). */
export const SECRET_IDS = {
  matrixAccessToken: '/matrix/accessToken',
  gatewayToken: '/gateway/token',
  modelApiKey: '/model/apiKey',
} as const;

const SECRETS_PROVIDER = 'agent';
const secretRef = (id: string) => ({ source: 'file', provider: SECRETS_PROVIDER, id });

/** OpenClaw's provider ids: Bedrock's is fixed by its plugin, ours is a name we chose. */
export const MODEL_PROVIDER_IDS = { bedrock: 'amazon-bedrock', 'openai-compatible': 'fleet-llm' } as const;

/**
 * The device the bridge mints the agent's token for (services/bridge, AGENT_DEVICE_ID): OpenClaw
 * is told it so that its device-scoped state matches the token's.
 */
export const MATRIX_DEVICE_ID = 'OCFAGENT';

/** The plugin id of the loop guard (openclaw-plugin/openclaw.plugin.json). */
export const LOOP_GUARD_PLUGIN_ID = 'ocf-loop-guard';

export function buildGatewayConfig(input: GatewayConfigInput): Record<string, unknown> {
  const heartbeatOn = input.heartbeatEvery !== '0m';
  const providerId = MODEL_PROVIDER_IDS[input.model.provider];
  const bedrock = input.model.provider === 'bedrock';

  return {
    gateway: {
      mode: 'local',
      port: input.port,
      // The container health check and the local runner probe from the same host.
      bind: 'loopback',
      auth: { mode: 'token', token: secretRef(SECRET_IDS.gatewayToken) },
      controlUi: { enabled: false },
    },

    // Nothing phones home, nothing spends tokens unless someone asked.
    update: { checkOnStart: false },
    telemetry: { enabled: false },
    discovery: { mdns: { mode: 'off' } },
    // Automations run only when heartbeats are wanted: with them off there is nothing to schedule
    // (dreaming and skill reviews are off too), and agent-made schedules would not outlive the
    // task-local state anyway.
    cron: { enabled: heartbeatOn },
    commands: { native: false, text: false, restart: false },

    secrets: {
      providers: { [SECRETS_PROVIDER]: { source: 'file', path: input.secretsFile, mode: 'json' } },
    },

    models: {
      catalogRefresh: { enabled: false },
      mode: 'replace',
      providers: { [providerId]: modelProvider(input.model) },
    },

    agents: {
      defaults: {
        workspace: input.workspace,
        // The fleet writes the persona files; OpenClaw's first-run ritual would ask for a name.
        skipBootstrap: true,
        model: { primary: `${providerId}/${input.model.modelId}` },
        // Titles, progress narration and session digests: extra model calls nobody reads here.
        utilityModel: '',
        // When switched on, a check-in that finds something says it where the agent last spoke
        // (OpenClaw's default target is an owner DM, which agents do not have).
        heartbeat: heartbeatOn ? { every: input.heartbeatEvery, target: 'last' } : { every: '0m' },
      },
    },

    session: {
      // One conversation per person in direct messages; the default shares one across everyone.
      dmScope: 'per-peer',
    },

    tools: {
      allow: ['read', 'write', 'edit', 'memory_search', 'memory_get', 'group:plugins'],
      deny: ['apply_patch', 'exec', 'process', 'code_execution'],
      // The state directory (with the secrets file) is outside the workspace: keep tools inside.
      fs: { workspaceOnly: true },
      // A handful of tools needs no search indirection.
      toolSearch: false,
    },

    skills: { allowBundled: [], workshop: { autonomous: { mode: 'off' } } },

    mcp: {
      servers: { directory: { url: input.directoryToolUrl, transport: 'streamable-http' } },
    },

    plugins: {
      // Only what the agent uses: the channel, memory, the loop guard, and Bedrock when chosen.
      allow: ['matrix', 'memory-core', LOOP_GUARD_PLUGIN_ID, ...(bedrock ? ['amazon-bedrock'] : [])],
      load: { paths: [input.loopGuard.pluginDir] },
      entries: {
        matrix: { enabled: true },
        'memory-core': { config: { dreaming: { enabled: false } } },
        [LOOP_GUARD_PLUGIN_ID]: {
          enabled: true,
          config: {
            maxAgentTurns: input.loopGuard.maxAgentTurns,
            windowSeconds: input.loopGuard.windowSeconds,
            agentUserIdPrefix: input.loopGuard.agentUserIdPrefix,
            agentUserIdSuffix: input.loopGuard.agentUserIdSuffix,
          },
        },
        ...(bedrock
          ? { 'amazon-bedrock': { enabled: true, config: { discovery: { enabled: false } } } }
          : {}),
      },
    },

    logging: {
      // One JSON object per line on stdout, like every other fleet process; the file is bounded.
      consoleStyle: 'json',
      file: input.logFile,
      maxFileBytes: 10 * 1024 * 1024,
    },

    channels: {
      matrix: {
        enabled: true,
        homeserver: input.homeserverUrl,
        userId: input.matrixUserId,
        // A token the bridge minted (ADR 0020): no password login, so the homeserver hashes nothing.
        accessToken: secretRef(SECRET_IDS.matrixAccessToken),
        deviceId: MATRIX_DEVICE_ID,
        // The homeserver is the fleet's own, on a private address.
        network: { dangerouslyAllowPrivateNetwork: true },
        // Fleet rooms are unencrypted by design (ADR 0004).
        encryption: false,
        startupVerification: 'off',
        // Joining the company room must not cost a model call per agent.
        joinIntro: false,
        autoJoin: 'allowlist',
        autoJoinAllowlist: [...input.orgRooms],
        // Org rooms only, and only when mentioned: the first loop guard between agents.
        groupPolicy: 'allowlist',
        groups: Object.fromEntries(input.orgRooms.map((alias) => [alias, { requireMention: true }])),
        // One conversation per direct room. OpenClaw's default keys a DM session by the person, and
        // when that person has a second direct room with the agent (a console chat beside an
        // Element one, a room made again) it answers there only with a notice to change this.
        dm: {
          enabled: true,
          policy: 'allowlist',
          allowFrom: [...input.dmAllowFrom],
          sessionScope: 'per-room',
        },
      },
    },
  };
}

function modelProvider(model: ModelSettings): Record<string, unknown> {
  if (model.provider === 'bedrock') {
    return {
      baseUrl: `https://bedrock-runtime.${model.region}.amazonaws.com`,
      api: 'bedrock-converse-stream',
      // The AWS SDK's default chain: the task role on ECS. No key anywhere.
      auth: 'aws-sdk',
      models: [modelEntry(model.modelId, 200_000, 8192)],
    };
  }
  return {
    baseUrl: model.baseUrl,
    api: 'openai-completions',
    // OpenClaw wants a key; endpoints without one (a local server, the tests' fake) get a dummy.
    apiKey: model.hasApiKey ? secretRef(SECRET_IDS.modelApiKey) : 'no-key',
    models: [modelEntry(model.modelId, 128_000, 4096)],
  };
}

function modelEntry(id: string, contextWindow: number, maxTokens: number): Record<string, unknown> {
  return { id, name: id, input: ['text'], contextWindow, maxTokens };
}
