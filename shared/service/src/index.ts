export * from './start.ts';
export * from './lifecycle.ts';
export * from './tls.ts';
