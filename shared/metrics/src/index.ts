// The fleet's CloudWatch metrics: what health publishes and what the dashboard and alarms read.
export * from './catalogue.ts';
export * from './datum.ts';
export * from './sink.ts';
