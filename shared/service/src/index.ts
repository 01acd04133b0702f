export * from './start.ts';
export * from './lifecycle.ts';
