export * from './backoff.ts';
export * from './consumer.ts';
export * from './dedupe.ts';
export * from './publisher.ts';
export * from './give-up.ts';
export * from './delivery.ts';
