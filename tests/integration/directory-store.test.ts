import { after, describe } from 'node:test';
import { applyRouting, fleetRouting } from '@ocf/routing';
import { createDynamoAgentStore } from '../../services/directory/src/adapters/dynamo-agent-store.ts';
import { agentStoreContract } from '../../services/directory/test/support/agent-store-contract.ts';
import { awsClients, uniqueEnvironment } from '../support/aws.ts';

// The directory's DynamoDB adapter on moto, held to the same contract as the in-memory fake.
describe('DynamoDB agent store on moto', () => {
  const clients = awsClients();
  after(() => {
    clients.dynamodb.destroy();
  });
  agentStoreContract(async () => {
    // A fresh table per check: the contract wants an empty store each time.
    const routing = fleetRouting(uniqueEnvironment('store'));
    await applyRouting(routing, clients);
    return createDynamoAgentStore(clients.dynamodb, routing.tables.agents.name);
  });
});
