import { Aws } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import { fleetRouting } from '@ocf/routing';
import type { FleetSettings } from './fleet-stack.ts';

/**
 * The model agents get when none is configured: a foundation model in the stack's own region.
 * Models that are only served through an inference profile need the profile's ARN and the
 * foundation-model ARNs it routes to, all passed in `modelArns` (docs/deploy.md).
 */
export const DEFAULT_MODEL_IDS = ['anthropic.claude-sonnet-4-5-20250929-v1:0'];

/** Where the fleet goes when neither `-c region=...` nor the CLI's profile says. */
export const DEFAULT_REGION = 'us-east-1';

const BEDROCK_MODEL_ARN =
  /^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d{0,12}:(foundation-model|inference-profile|application-inference-profile)\/\S+$/;

export function foundationModelArn(modelId: string): string {
  return `arn:${Aws.PARTITION}:bedrock:${Aws.REGION}::foundation-model/${modelId}`;
}

/** The fleet's settings plus where it goes. */
export interface AppSettings extends FleetSettings {
  /**
   * The stack's region. Synthesis needs one (the load balancer's access-log policy names the
   * region's log delivery account) but no account: the template stays account-agnostic.
   */
  readonly region: string;
}

/**
 * The fleet's settings from CDK context (`cdk deploy -c environment=prod -c modelArns=...`, or
 * cdk.json). Values given on the command line arrive as strings; lists are comma-separated.
 * Fails with every problem named, before anything is synthesized.
 */
export function settingsFromContext(node: Node, env: NodeJS.ProcessEnv = process.env): AppSettings {
  const problems: string[] = [];
  const text = (key: string): string | undefined => {
    const value: unknown = node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string') return value.trim();
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (Array.isArray(value)) return value.map(String).join(',');
    problems.push(`${key}: expected a string, a number, a boolean or a list`);
    return undefined;
  };
  const list = (key: string): string[] | undefined =>
    text(key)
      ?.split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  const flag = (key: string): boolean | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    if (value === 'true' || value === 'false') return value === 'true';
    problems.push(`${key}: expected true or false, got "${value}"`);
    return undefined;
  };
  const integer = (key: string): number | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    if (/^\d+$/.test(value)) return Number(value);
    problems.push(`${key}: expected a whole number, got "${value}"`);
    return undefined;
  };

  const environment = text('environment') ?? 'dev';
  try {
    fleetRouting(environment);
  } catch (error) {
    problems.push(`environment: ${error instanceof Error ? error.message : String(error)}`);
  }
  const givenModelArns = list('modelArns');
  for (const arn of givenModelArns ?? []) {
    if (!BEDROCK_MODEL_ARN.test(arn)) {
      problems.push(`modelArns: "${arn}" is not a Bedrock foundation-model or inference-profile ARN`);
    }
  }
  const modelArns = givenModelArns ?? DEFAULT_MODEL_IDS.map(foundationModelArn);
  const operatorCidrs = list('operatorCidrs');
  for (const cidr of operatorCidrs ?? []) {
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr))
      problems.push(`operatorCidrs: "${cidr}" is not an IPv4 CIDR`);
  }
  const alarmEmail = text('alarmEmail');
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+$/.test(alarmEmail)) {
    problems.push(`alarmEmail: "${alarmEmail}" is not an email address`);
  }
  const certificateArn = text('certificateArn');
  if (certificateArn !== undefined && !/^arn:aws[a-z-]*:acm:/.test(certificateArn)) {
    problems.push(`certificateArn: "${certificateArn}" is not an ACM certificate ARN`);
  }
  const domainName = text('domainName');
  if (
    domainName !== undefined &&
    !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(domainName)
  ) {
    problems.push(`domainName: "${domainName}" is not a DNS name`);
  }
  const allowPlaintext = flag('allowPlaintext');
  if (certificateArn === undefined && allowPlaintext !== true) {
    problems.push(
      'certificateArn: required (with domainName) for TLS on the load balancer; or allowPlaintext=true to accept clear text inside the VPC (docs/deploy.md)',
    );
  }
  if (certificateArn !== undefined && domainName === undefined) {
    problems.push('domainName: required with certificateArn, the name the certificate is for');
  }
  const maxAzs = integer('maxAzs');
  if (maxAzs !== undefined && (maxAzs < 1 || maxAzs > 3)) problems.push(`maxAzs: 1 to 3, got ${maxAzs}`);
  const agentCpu = integer('agentCpu');
  const agentMemoryMiB = integer('agentMemoryMiB');
  if ((agentCpu === undefined) !== (agentMemoryMiB === undefined)) {
    problems.push('agentCpu and agentMemoryMiB: give both or neither');
  }
  const homeserverCpu = integer('homeserverCpu');
  const homeserverMemoryMiB = integer('homeserverMemoryMiB');
  if ((homeserverCpu === undefined) !== (homeserverMemoryMiB === undefined)) {
    problems.push('homeserverCpu and homeserverMemoryMiB: give both or neither');
  }
  const synapseGenericWorkers = integer('synapseGenericWorkers');
  const synapseEventPersisters = integer('synapseEventPersisters');
  const synapseWorkers =
    (synapseGenericWorkers ?? 0) + (synapseEventPersisters ?? 0) > 0
      ? { generic: synapseGenericWorkers ?? 0, eventPersisters: synapseEventPersisters ?? 0 }
      : undefined;
  if (synapseWorkers !== undefined && certificateArn === undefined) {
    problems.push(
      'synapseGenericWorkers, synapseEventPersisters: need certificateArn (Synapse processes call each other through Service Connect with TLS)',
    );
  }
  if ((synapseGenericWorkers ?? 0) > 20 || (synapseEventPersisters ?? 0) > 8) {
    problems.push('synapseGenericWorkers: at most 20; synapseEventPersisters: at most 8');
  }
  const region = text('region') ?? env['CDK_DEFAULT_REGION'] ?? DEFAULT_REGION;
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) problems.push(`region: "${region}" is not an AWS region`);
  const settings: AppSettings = {
    region,
    environment,
    modelArns,
    certificateArn,
    domainName,
    allowPlaintext,
    alarmEmail,
    operatorCidrs,
    retainData: flag('retainData'),
    matrixServerName: text('matrixServerName'),
    ceoMatrixUserId: text('ceoMatrixUserId'),
    homeserverMultiAz: flag('homeserverMultiAz'),
    homeserverSharedSecretRegistration: flag('homeserverSharedSecretRegistration'),
    homeserverTaskSize:
      homeserverCpu === undefined || homeserverMemoryMiB === undefined
        ? undefined
        : { cpu: homeserverCpu, memoryMiB: homeserverMemoryMiB },
    maxAzs,
    matrixWebClient: flag('matrixWebClient'),
    synapseWorkers,
    agentTaskSize:
      agentCpu === undefined || agentMemoryMiB === undefined
        ? undefined
        : { cpu: agentCpu, memoryMiB: agentMemoryMiB },
  };
  if (problems.length > 0) throw new Error(`invalid fleet settings:\n  ${problems.join('\n  ')}`);
  return settings;
}
