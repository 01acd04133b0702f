/**
 * Node's test runner loads this once per run (`--test-global-setup`, see the root package.json):
 * it picks the backends (tests/support/backends.ts's resolveBackends) and exports where they are. Test files
 * run in child processes, which the runner spawns after globalSetup with the runner's environment
 * (checked on Node 24.21), so what is set on process.env here reaches every test file.
 */
import { backendEnvironment, resolveBackends, type ResolvedBackends } from './support/backends.ts';

let backends: ResolvedBackends | undefined;

export async function globalSetup(): Promise<void> {
  backends = await resolveBackends({
    onProgress: (line) => process.stderr.write(`[backends] ${line}\n`),
  });
  Object.assign(process.env, backendEnvironment(backends));
  process.stderr.write(
    `[backends] using ${backends.source}: ${backends.awsEndpoint}, ${backends.homeserverUrl}\n`,
  );
}

export async function globalTeardown(): Promise<void> {
  await backends?.stop();
}
