import { Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * Records why a cdk-nag finding does not apply, on the construct it concerns (CDK applies it to
 * the construct's children too, where the flagged resource usually is). `id` names one finding:
 * `AwsSolutions-ECS2`, or `AwsSolutions-IAM5[Resource::*]` for one wildcard of a policy. Each
 * reason must be about this resource: the nag test fails when one text serves two rules.
 */
export function acknowledge(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id: `${NAG_PACK}::${id}`, reason });
}

/** The cdk-nag pack the app runs; acknowledgements name the plugin that reports the finding. */
export const NAG_PACK = 'AwsSolutions';

/**
 * Acknowledges each wildcard of `statement` (AwsSolutions-IAM5) on the role or policy that holds
 * it, naming the wildcard the way cdk-nag reports it, so each one needs its own justification.
 */
export function acknowledgeWildcards(
  holder: IConstruct,
  statement: iam.PolicyStatement,
  reason: string,
): void {
  const stack = Stack.of(holder);
  for (const action of statement.actions.filter((action) => action.includes('*'))) {
    acknowledge(holder, `AwsSolutions-IAM5[Action::${action}]`, reason);
  }
  for (const resource of statement.resources) {
    const flat = flattenReference(stack.resolve(resource));
    if (flat.includes('*')) acknowledge(holder, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
  }
}

/** A resolved ARN as cdk-nag prints it: `<LogicalId.Arn>`, `<AWS::AccountId>`, joins flattened. */
function flattenReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const value = node as Record<string, unknown>;
    if (Array.isArray(value['Fn::Join'])) {
      const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
      return items.map(flattenReference).join(delimiter);
    }
    if (value['Fn::Sub'] !== undefined) return flattenReference(value['Fn::Sub']);
    if (Array.isArray(value['Fn::GetAtt'])) {
      const [resource, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
    }
    if (value['Ref'] !== undefined) return `<${flattenReference(value['Ref'])}>`;
  }
  return JSON.stringify(node);
}
