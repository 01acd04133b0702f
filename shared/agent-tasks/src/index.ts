export * from './fleet-stop.ts';
export * from './local-files.ts';
export * from './local-process.ts';
