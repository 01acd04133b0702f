import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { FleetRouting, TableSpec } from '@ocf/routing';

export interface FleetTablesProps {
  readonly routing: FleetRouting;
  /** Keep the tables (and refuse to delete them) when the stack goes. */
  readonly retainData: boolean;
}

export type TableName = keyof FleetRouting['tables'];

/** The routing's DynamoDB tables, on demand, with point-in-time recovery. */
export class FleetTables extends Construct {
  readonly tables: { readonly [T in TableName]: dynamodb.Table };

  constructor(scope: Construct, id: string, props: FleetTablesProps) {
    super(scope, id);
    const entries = Object.entries(props.routing.tables) as [TableName, TableSpec][];
    this.tables = Object.fromEntries(
      entries.map(([name, spec]) => [name, this.table(name, spec, props.retainData)]),
    ) as { [T in TableName]: dynamodb.Table };
  }

  private table(id: string, spec: TableSpec, retainData: boolean): dynamodb.Table {
    const key = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });
    const table = new dynamodb.Table(this, id, {
      tableName: spec.name,
      partitionKey: key(spec.partitionKey),
      ...(spec.sortKey === undefined ? {} : { sortKey: key(spec.sortKey) }),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...(spec.ttlAttribute === undefined ? {} : { timeToLiveAttribute: spec.ttlAttribute }),
      deletionProtection: retainData,
      removalPolicy: retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    for (const index of spec.indexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: key(index.partitionKey),
        ...(index.sortKey === undefined ? {} : { sortKey: key(index.sortKey) }),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    return table;
  }
}
