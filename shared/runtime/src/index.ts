export * from './backoff.ts';
export * from './consumer.ts';
export * from './dedupe.ts';
export * from './publisher.ts';
export * from './give-up.ts';
export * from './outbox.ts';
export * from './versioned-records.ts';
export * from './trigger-loop.ts';
