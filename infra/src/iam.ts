import { ArnFormat, Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct, IConstruct } from 'constructs';
import { agentSecretNamePrefix, agentTokenKeyName, modelKeyKeyName } from '@ocf/secrets';

/**
 * ECS tasks of this account and region only: the confused-deputy conditions AWS recommends for
 * task and execution roles.
 */
export function ecsTasksPrincipal(): iam.IPrincipal {
  return new iam.ServicePrincipal('ecs-tasks.amazonaws.com').withConditions({
    StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
    ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:ecs:${Aws.REGION}:${Aws.ACCOUNT_ID}:*` },
  });
}

/** A role for ECS tasks; everything it may do is added by the construct that owns it. */
export function taskRole(scope: Construct, id: string, description: string): iam.Role {
  return new iam.Role(scope, id, { assumedBy: ecsTasksPrincipal(), description });
}

/**
 * Every agent's secret of one fleet: `ocf/<env>/agents/*`. Secrets Manager appends `-` and six
 * random characters to each name; one agent's own secret would be `<prefix><agentId>-??????`.
 */
export function agentSecretsArn(scope: IConstruct, environment: string): string {
  return secretArn(scope, `${agentSecretNamePrefix(environment)}*`);
}

/**
 * The fleet's agent-token key (ADR 0016), `ocf/<env>/directory/agent-token-key-??????`: the
 * credentials service makes it and signs agents' directory tokens with it, the directory checks
 * them with it.
 */
export function agentTokenKeyArn(scope: IConstruct, environment: string): string {
  return secretArn(scope, `${agentTokenKeyName(environment)}-??????`);
}

/**
 * The fleet's model-key key (ADR 0017), `ocf/<env>/model-gateway/agent-key-key-??????`: the
 * credentials service makes it and signs agents' model keys with it, the model gateway checks them.
 */
export function modelKeyKeyArn(scope: IConstruct, environment: string): string {
  return secretArn(scope, `${modelKeyKeyName(environment)}-??????`);
}

export function secretArn(scope: IConstruct, namePattern: string): string {
  return Stack.of(scope).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: namePattern,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * Use of the fleet key, only as Secrets Manager does it on the caller's behalf and only for the
 * secrets matching `secretArnPattern` (Secrets Manager puts the secret's ARN in the encryption
 * context of every data key).
 */
export function keyUseThroughSecretsManager(
  key: kms.IKey,
  actions: readonly ('kms:Decrypt' | 'kms:GenerateDataKey')[],
  secretArnPatterns: readonly string[],
): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: [...actions],
    resources: [key.keyArn],
    conditions: {
      StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` },
      StringLike: { 'kms:EncryptionContext:SecretARN': [...secretArnPatterns] },
    },
  });
}
