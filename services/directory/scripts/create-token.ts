// Creates an API token for the directory's mutating calls and prints it once. Only its hash is
// stored. Uses the same environment as the service (OCF_ENV, AWS_REGION, AWS_ENDPOINT_URL).
//   node services/directory/scripts/create-token.ts --name ops-alice
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fleetRouting } from '@ocf/routing';
import { createDynamoTokenStore } from '../src/auth.ts';

const { values } = parseArgs({ options: { name: { type: 'string' } } });
if (values.name === undefined || !/^[\w.@-]{1,64}$/.test(values.name)) {
  console.error('usage: create-token.ts --name <who holds it> (letters, digits, . _ - @; up to 64)');
  process.exit(2);
}
const routing = fleetRouting(process.env['OCF_ENV'] ?? 'local');
const tokens = createDynamoTokenStore(new DynamoDBClient({}), routing.tables.apiTokens.name);
const token = await tokens.create(values.name);
// The only place the token is ever shown: stdout, for the caller to keep.
process.stdout.write(`${token}\n`);
process.stderr.write(
  `token for "${values.name}" created in ${routing.tables.apiTokens.name}; it cannot be shown again\n`,
);
