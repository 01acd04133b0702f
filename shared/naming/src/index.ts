export * from './naming.ts';
export * from './org-rooms.ts';
