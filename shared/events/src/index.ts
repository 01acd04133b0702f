export * from './catalogue.ts';
export * from './create.ts';
export * from './define.ts';
export * from './envelope.ts';
export * from './fields.ts';
export * from './json-schema.ts';
export * from './parse.ts';
export * from './docs.ts';
