// Creates (or converges) the fleet's routing on the AWS endpoint in the environment:
//   OCF_ENV=local AWS_ENDPOINT_URL=http://127.0.0.1:4566 node shared/routing/scripts/apply.ts
// On AWS the CDK stack owns these resources; this is for the local emulator.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { applyRouting, fleetRouting } from '../src/index.ts';

const environment = process.env['OCF_ENV'] ?? 'local';
if (process.env['AWS_ENDPOINT_URL'] === undefined) {
  console.error(
    'AWS_ENDPOINT_URL is not set: this script only targets a local emulator (see `pnpm stack env`).',
  );
  process.exit(2);
}
const routing = fleetRouting(environment);
const applied = await applyRouting(routing, {
  eventBridge: new EventBridgeClient({}),
  sqs: new SQSClient({}),
  dynamodb: new DynamoDBClient({}),
});
console.log(`routing for "${environment}" applied on ${process.env['AWS_ENDPOINT_URL']}`);
console.log(`  bus     ${routing.busName}`);
for (const rule of routing.rules) {
  console.log(
    `  rule    ${rule.name}: ${rule.eventTypes.length} event type(s) from ${rule.from} -> ${applied.queues[rule.service].url}`,
  );
}
for (const table of Object.values(routing.tables)) console.log(`  table   ${table.name}`);
