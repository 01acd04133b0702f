/**
 * The local backends (moto for the AWS APIs, Synapse for Matrix) as a library: what the CLI, the
 * test harness and `fleet up` use. See docs/local-stack.md.
 */
export { stackUp, stackDown, stackStatus } from './stack.ts';
export type { StackUpResult, StackDownOptions } from './stack.ts';
export type { BackendName, BackendState, BackendStatus } from './backend.ts';
export { readStackInfo, writeStackInfo, describeStack, LOCAL_REGION } from './stack-info.ts';
export type { StackInfo, AppserviceInfo } from './stack-info.ts';
export { resolveStackSettings } from './settings.ts';
export type { StackOptions, StackSettings } from './settings.ts';
export { LocalStackError } from './errors.ts';
export type { LocalStackErrorCode } from './errors.ts';
export {
  renderSynapseFiles,
  generateSynapseSecrets,
  SYNAPSE_FILE_NAMES,
  BRIDGE_APPSERVICE,
} from './synapse-config.ts';
export type { SynapseSetup, SynapseSecrets, SynapseFiles } from './synapse-config.ts';
export { moto as motoBackend } from './moto.ts';
export * from './containers.ts';
export { sources } from './paths.ts';
