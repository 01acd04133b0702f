export * from './apply.ts';
export * from './definition.ts';
