export { resolveBackends, backendEnvironment } from './backends.ts';
export type { ResolvedBackends, ResolveBackendsOptions, BackendSource } from './backends.ts';
