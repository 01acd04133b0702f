// Creates an API token for the directory and prints it once. Only its hash is stored. Uses the
// same environment as the service (OCF_ENV, AWS_REGION, AWS_ENDPOINT_URL).
//   node services/directory/scripts/create-token.ts --name ops-alice               (scope write)
//   node services/directory/scripts/create-token.ts --name dashboard --scope read   (queries only)
// Agents need none of these: each gets a read token of its own in its secret (ADR 0016).
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fleetRouting } from '@ocf/routing';
import { createDynamoTokenStore, SCOPES, type Scope } from '../src/auth.ts';

const { values } = parseArgs({
  options: { name: { type: 'string' }, scope: { type: 'string', default: 'write' } },
});
const isScope = (scope: string): scope is Scope => (SCOPES as readonly string[]).includes(scope);
if (values.name === undefined || !/^[\w.@-]{1,64}$/.test(values.name) || !isScope(values.scope)) {
  console.error(
    'usage: create-token.ts --name <who holds it> [--scope read|write]\n' +
      '  name: letters, digits, . _ - @; up to 64. scope: write (the default: operators) or read (queries only)',
  );
  process.exit(2);
}
const scope = values.scope;
const routing = fleetRouting(process.env['OCF_ENV'] ?? 'local');
const tokens = createDynamoTokenStore(new DynamoDBClient({}), routing.tables.apiTokens.name);
const token = await tokens.create(values.name, scope);
// The only place the token is ever shown: stdout, for the caller to keep.
process.stdout.write(`${token}\n`);
process.stderr.write(
  `${scope} token for "${values.name}" created in ${routing.tables.apiTokens.name}; it cannot be shown again\n`,
);
