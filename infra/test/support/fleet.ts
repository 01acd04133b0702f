import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FleetStack, type FleetSettings } from '../../src/index.ts';

export const TEST_ENVIRONMENT = 'test';
export const TEST_REGION = 'us-east-1';
export const TEST_MODEL_ARNS = [
  'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0',
  'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0',
];

/** TLS is the default the stack insists on; tests synthesize with a certificate unless they say otherwise. */
export const TEST_CERTIFICATE_ARN =
  'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
export const TEST_DOMAIN_NAME = 'fleet.test.internal';

const CDK_JSON = path.resolve(import.meta.dirname, '../../cdk.json');

export interface SynthesizedFleet {
  readonly app: App;
  readonly stack: FleetStack;
  readonly template: Template;
  /** The raw template, for checks that read it as JSON. */
  readonly json: CloudFormationTemplate;
  /** Where the cloud assembly (and cdk-nag's validation report) was written. */
  readonly outdir: string;
}

export interface CloudFormationTemplate {
  readonly Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Metadata?: unknown }
  >;
  readonly Outputs?: Record<string, unknown>;
}

/**
 * The fleet as `cdk synth` makes it (same feature flags as cdk.json, same cdk-nag checks), in
 * memory. A test file synthesizes once and shares the result: a synthesis takes seconds.
 * Asset staging is off: the image sources are fingerprinted, never copied, and never built.
 */
export function synthesizeFleet(settings: Partial<FleetSettings> = {}): SynthesizedFleet {
  const flags = (JSON.parse(readFileSync(CDK_JSON, 'utf8')) as { context: Record<string, unknown> }).context;
  const outdir = mkdtempSync(path.join(tmpdir(), 'ocf-infra-'));
  const app = new App({ outdir, context: { ...flags, 'aws:cdk:disable-asset-staging': true } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  const stack = new FleetStack(app, `ocf-${TEST_ENVIRONMENT}`, {
    environment: TEST_ENVIRONMENT,
    modelArns: TEST_MODEL_ARNS,
    certificateArn: TEST_CERTIFICATE_ARN,
    domainName: TEST_DOMAIN_NAME,
    env: { region: TEST_REGION },
    ...settings,
  });
  // Throws with cdk-nag's report when any finding is not acknowledged.
  const assembly = app.synth();
  const json = assembly.getStackArtifact(stack.artifactId).template as CloudFormationTemplate;
  return { app, stack, template: Template.fromJSON(json), json, outdir };
}

/** The one resource of a type, as [logical id, resource]; fails when there is not exactly one. */
export function onlyResourceOf(
  json: CloudFormationTemplate,
  type: string,
): [string, { Type: string; Properties: Record<string, unknown> }] {
  const found = resourcesOf(json, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]!;
}

let shared: SynthesizedFleet | undefined;

/**
 * The default fleet, synthesized once per process. Under `node --test` each test file is its own
 * process unless the run shares one (`--test-isolation=none`, as the infra package's test script
 * does): then every file reuses one synthesis.
 */
export function sharedFleet(): SynthesizedFleet {
  return (shared ??= synthesizeFleet());
}

/** Resources of one type, by logical id. */
export function resourcesOf(
  json: CloudFormationTemplate,
  type: string,
): [string, { Type: string; Properties: Record<string, unknown> }][] {
  return Object.entries(json.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => [id, { Type: resource.Type, Properties: resource.Properties ?? {} }]);
}

/** A value built with Fn::Join, as text, with references written as `<ref:Id>` / `<att:Id.Attr>`. */
export function joinedText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    if (Array.isArray(record['Fn::Join'])) {
      const [delimiter, parts] = record['Fn::Join'] as [string, unknown[]];
      return parts.map(joinedText).join(delimiter);
    }
    if (typeof record['Ref'] === 'string') return `<ref:${record['Ref']}>`;
    if (Array.isArray(record['Fn::GetAtt'])) return `<att:${(record['Fn::GetAtt'] as string[]).join('.')}>`;
  }
  return JSON.stringify(value);
}

/**
 * `joinedText` with references to named resources replaced by the names the stack gave them
 * (queue, cluster and service names are fixed by the routing), so tests compare with names.
 */
export function withNames(json: CloudFormationTemplate, text: string): string {
  const property = (id: string, key: string): string => {
    const value = json.Resources[id]?.Properties?.[key];
    return typeof value === 'string' ? value : `<${id}.${key}>`;
  };
  return text
    .replace(/<att:(\w+)\.QueueName>/g, (_, id: string) => property(id, 'QueueName'))
    .replace(/<att:(\w+)\.Name>/g, (_, id: string) => property(id, 'ServiceName'))
    .replace(/<ref:(\w+)>/g, (match: string, id: string) =>
      json.Resources[id]?.Type === 'AWS::ECS::Cluster' ? property(id, 'ClusterName') : match,
    );
}
