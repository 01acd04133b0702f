// The fleet's CDK app, as a library: the stack, its parts, and how settings are read.
export * from './fleet-stack.ts';
export * from './settings.ts';
export { AGENT_TEMPLATE } from './constructs/agents.ts';
export { SERVICE_PORT } from './constructs/fleet-service.ts';
export { HOMESERVER_PORT } from './constructs/homeserver.ts';
