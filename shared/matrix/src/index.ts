export * from './log-service.ts';
