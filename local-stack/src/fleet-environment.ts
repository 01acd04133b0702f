/**
 * The settings the fleet command (fleet.ts) gives every service and script it runs. Apart from the
 * command, so a test can check what a fleet's services get without starting one.
 */
import type { StackInfo } from './stack-info.ts';

/** The fleet `--env` names when none is given. */
export const DEFAULT_ENVIRONMENT = 'local';

/**
 * The Matrix namespace of a fleet on the stack's one homeserver: the environment's name, so two
 * `--env` fleets never share an agent account or an org room (`@agent-blue_ada`, `#org-blue_…`
 * beside the default fleet's `@agent-ada`, `#org-…`). The default fleet has none, which keeps the
 * names people read most short; no other fleet can spell them, as a namespace never holds the
 * `_` that separates it (see @ocf/naming).
 */
export function matrixNamespace(environment: string): string | undefined {
  return environment === DEFAULT_ENVIRONMENT ? undefined : environment;
}

/** What every service (and script) gets: the stack's endpoints, the fleet's name, a log level. */
export function baseEnvironment(info: StackInfo, environment: string, stateDir: string): NodeJS.ProcessEnv {
  const namespace = matrixNamespace(environment);
  return {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    LANG: process.env['LANG'],
    AWS_ENDPOINT_URL: info.awsEndpoint,
    AWS_REGION: info.region,
    AWS_DEFAULT_REGION: info.region,
    // moto accepts any credentials; these only stop the SDKs from looking for real ones.
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    MATRIX_HOMESERVER_URL: info.homeserverUrl,
    OCF_STACK_DIR: stateDir,
    OCF_ENV: environment,
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'INFO',
    // The bridge names accounts and rooms with it; provisioning hands it to every agent, which
    // computes the same names (MATRIX_NAMESPACE of agent-container/src/config.ts).
    ...(namespace === undefined ? {} : { BRIDGE_NAMESPACE: namespace, MATRIX_NAMESPACE: namespace }),
  };
}

/**
 * What the local fleet's agents are (`fleet up --agents`, or FLEET_AGENTS): real OpenClaw agents
 * (the agent-container's entrypoint, the default), or the stand-in, a small process that behaves
 * like an agent to the fleet without a model, for large sample orgs and the benchmarks.
 */
export const AGENT_KINDS = ['openclaw', 'stand-in'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];

/**
 * Awake at once on a laptop by default, with real agents: an OpenClaw gateway needs about 0.8 GB,
 * so three take about 2.5 GB. On AWS the cap is off unless set (ADR 0018).
 */
export const LOCAL_AWAKE_CAP = 3;

/** Every level: locally every agent is on-demand unless its own wake policy says otherwise. */
const ALL_LEVELS = 'executive,vp,director,manager,ic';

/** The bridge's sleep settings the fleet command passes on from its own environment. */
const SLEEP_SETTINGS = [
  'BRIDGE_AWAKE_CAP',
  'BRIDGE_ON_DEMAND_LEVELS',
  'BRIDGE_IDLE_TIMEOUT_SECONDS',
] as const;

export interface LocalAgentOptions {
  readonly kind: AgentKind;
  /** The repository's root: the entrypoint is `agent-container/src/main.ts` under it. */
  readonly root: string;
  /** The Node that runs the fleet, and so the agents. */
  readonly node: string;
  readonly directoryUrl: string;
  readonly serverName: string;
  /** The fleet command's own environment: LOCAL_AGENT_COMMAND, LOCAL_AGENT_ENV and the sleep settings. */
  readonly env: NodeJS.ProcessEnv;
}

/**
 * The settings that make local agents what `kind` says, for provisioning, the bridge and health.
 * Real agents run the agent-container's entrypoint with what it needs to find its org and its
 * homeserver; their model calls go through the fleet's model gateway (provisioning hands every
 * agent MODEL_GATEWAY_URL). They sleep when idle, and at most LOCAL_AWAKE_CAP are awake at once.
 * LOCAL_AGENT_COMMAND in the environment replaces the command, LOCAL_AGENT_ENV adds to (and
 * overrides) the agent's settings, and BRIDGE_AWAKE_CAP, BRIDGE_ON_DEMAND_LEVELS and
 * BRIDGE_IDLE_TIMEOUT_SECONDS the sleep settings, whatever the kind.
 */
export function localAgentSettings(options: LocalAgentOptions): {
  provisioning: NodeJS.ProcessEnv;
  bridge: NodeJS.ProcessEnv;
  health: NodeJS.ProcessEnv;
} {
  const { env } = options;
  const passed = Object.fromEntries(
    SLEEP_SETTINGS.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]]])),
  );
  if (options.kind === 'stand-in') {
    return {
      provisioning: {
        ...(env['LOCAL_AGENT_COMMAND'] === undefined
          ? {}
          : { LOCAL_AGENT_COMMAND: env['LOCAL_AGENT_COMMAND'] }),
        ...(env['LOCAL_AGENT_ENV'] === undefined ? {} : { LOCAL_AGENT_ENV: env['LOCAL_AGENT_ENV'] }),
      },
      bridge: passed,
      health: {},
    };
  }
  let own: Record<string, string> = {};
  if (env['LOCAL_AGENT_ENV'] !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(env['LOCAL_AGENT_ENV']);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('LOCAL_AGENT_ENV must be a JSON object of strings');
    own = parsed as Record<string, string>;
  }
  return {
    provisioning: {
      LOCAL_AGENT_COMMAND:
        env['LOCAL_AGENT_COMMAND'] ??
        JSON.stringify([options.node, `${options.root}/agent-container/src/main.ts`]),
      LOCAL_AGENT_ENV: JSON.stringify({
        DIRECTORY_URL: options.directoryUrl,
        MATRIX_SERVER_NAME: options.serverName,
        ...own,
      }),
    },
    bridge: {
      BRIDGE_AWAKE_CAP: String(LOCAL_AWAKE_CAP),
      BRIDGE_ON_DEMAND_LEVELS: ALL_LEVELS,
      ...passed,
    },
    // A gateway takes tens of seconds to start on a busy laptop before its health check answers.
    health: { HEALTH_UNHEALTHY_GRACE_MS: '120000' },
  };
}
