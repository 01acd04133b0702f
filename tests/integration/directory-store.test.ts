import { after, describe } from 'node:test';
import { applyRouting, fleetRouting } from '@ocf/routing';
import { createDynamoVersionedRecords } from '@ocf/runtime';
import { createDynamoAgentStore } from '../../services/directory/src/adapters/dynamo-agent-store.ts';
import { agentStoreContract } from '../../services/directory/test/support/agent-store-contract.ts';
import {
  versionedRecordsContract,
  type Note,
} from '../../shared/runtime/test/support/versioned-records-contract.ts';
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

// The shared compare-and-set block the directory and health stores are built on, on moto.
describe('DynamoDB versioned records on moto', () => {
  const clients = awsClients();
  after(() => {
    clients.dynamodb.destroy();
  });
  versionedRecordsContract(async () => {
    const routing = fleetRouting(uniqueEnvironment('records'));
    await applyRouting(routing, clients);
    return createDynamoVersionedRecords<Note>({
      client: clients.dynamodb,
      tableName: routing.tables.health.name,
      keyAttribute: 'agentId',
    });
  });
});
