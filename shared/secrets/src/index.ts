// The agent-secret contract: where an agent's secret lives and what it holds. Written by the
// credentials service; read by the bridge and the agent container.
export * from './directory-token.ts';
export * from './errors.ts';
export * from './model-key.ts';
export * from './naming.ts';
export * from './ownership.ts';
export * from './secret-text.ts';
export * from './value.ts';
