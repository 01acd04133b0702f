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
