import { CfnElement, type Stack } from 'aws-cdk-lib';
import type { CloudFormationTemplate, SynthesizedFleet } from './fleet.ts';

/** One IAM role of the stack as a reviewer reads it: who may assume it and what it may do. */
export interface RoleSnapshot {
  readonly assumedBy: readonly unknown[];
  readonly managedPolicies: readonly string[];
  readonly statements: readonly StatementSnapshot[];
}

export interface StatementSnapshot {
  readonly effect: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: unknown;
}

export type IamSnapshot = Record<string, RoleSnapshot>;

/**
 * Every role of the synthesized stack, keyed by its construct path, with every statement of
 * every policy attached to it. References read as `${Services/directory/Queue.Arn}` and
 * `${AWS::AccountId}`, not as logical ids, so the snapshot (infra/iam-allowlist.json) is
 * reviewable and stays put when unrelated resources come and go.
 */
export function iamSnapshot(fleet: SynthesizedFleet): IamSnapshot {
  const names = constructNames(fleet.stack);
  const render = (value: unknown): unknown => renderValue(value, names);
  const roles: Record<
    string,
    { assumedBy: unknown[]; managedPolicies: string[]; statements: StatementSnapshot[] }
  > = {};
  const roleIds = Object.entries(fleet.json.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::IAM::Role')
    .map(([id]) => id);
  for (const id of roleIds) {
    const properties = resource(fleet.json, id);
    const trust = properties['AssumeRolePolicyDocument'] as { Statement: Record<string, unknown>[] };
    const inline = (properties['Policies'] as { PolicyDocument: PolicyDocument }[] | undefined) ?? [];
    roles[nameOf(id, names)] = {
      assumedBy: trust.Statement.map((statement) => render(sortedKeys(statement))),
      managedPolicies: ((properties['ManagedPolicyArns'] as unknown[] | undefined) ?? [])
        .map((arn) => String(render(arn)))
        .sort(),
      statements: inline.flatMap((policy) => statementsOf(policy.PolicyDocument, render)),
    };
  }
  for (const [, policy] of Object.entries(fleet.json.Resources).filter(
    ([, r]) => r.Type === 'AWS::IAM::Policy',
  )) {
    const properties = policy.Properties ?? {};
    for (const role of (properties['Roles'] as { Ref: string }[] | undefined) ?? []) {
      const entry = roles[nameOf(role.Ref, names)];
      if (entry === undefined)
        throw new Error(`policy attached to ${role.Ref}, which is not a role of this stack`);
      entry.statements.push(...statementsOf(properties['PolicyDocument'] as PolicyDocument, render));
    }
  }
  const sorted: IamSnapshot = {};
  for (const name of Object.keys(roles).sort()) {
    const role = roles[name]!;
    sorted[name] = {
      assumedBy: role.assumedBy,
      managedPolicies: role.managedPolicies,
      statements: [...role.statements].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    };
  }
  return sorted;
}

/**
 * Every customer managed policy of the stack (for principals outside it, such as the hire
 * publishers), keyed by construct path: the roles they are attached to and what they allow.
 */
export function managedPolicySnapshot(
  fleet: SynthesizedFleet,
): Record<
  string,
  { readonly attachedTo: readonly string[]; readonly statements: readonly StatementSnapshot[] }
> {
  const names = constructNames(fleet.stack);
  const render = (value: unknown): unknown => renderValue(value, names);
  const policies = Object.entries(fleet.json.Resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::ManagedPolicy')
    .map(([id, r]) => {
      const properties = r.Properties ?? {};
      const attachedTo = ((properties['Roles'] as unknown[] | undefined) ?? []).map((role) =>
        String(render(role)),
      );
      const statements = statementsOf(properties['PolicyDocument'] as PolicyDocument, render).sort((a, b) =>
        JSON.stringify(a).localeCompare(JSON.stringify(b)),
      );
      return [nameOf(id, names), { attachedTo: attachedTo.sort(), statements }] as const;
    })
    .sort(([a], [b]) => a.localeCompare(b));
  return Object.fromEntries(policies);
}

interface PolicyDocument {
  readonly Statement: readonly Record<string, unknown>[];
}

function statementsOf(document: PolicyDocument, render: (value: unknown) => unknown): StatementSnapshot[] {
  return document.Statement.map((statement) => {
    const list = (value: unknown): string[] =>
      (Array.isArray(value) ? value : value === undefined ? [] : [value])
        .map((item) => String(render(item)))
        .sort();
    const conditions = statement['Condition'];
    return {
      effect: String(statement['Effect']),
      actions: list(statement['Action']),
      resources: list(statement['Resource']),
      ...(conditions === undefined ? {} : { conditions: render(sortedKeys(conditions)) }),
    };
  });
}

function resource(json: CloudFormationTemplate, id: string): Record<string, unknown> {
  const found = json.Resources[id];
  if (found === undefined) throw new Error(`no resource ${id}`);
  return found.Properties ?? {};
}

/** Logical id -> construct path below the stack, without CDK's `/Resource` leaf. */
function constructNames(stack: Stack): Map<string, string> {
  const names = new Map<string, string>();
  for (const node of stack.node.findAll()) {
    if (!(node instanceof CfnElement)) continue;
    const logicalId = String(stack.resolve(node.logicalId));
    const path = node.node.path.slice(stack.node.path.length + 1).replace(/\/Resource$/, '');
    names.set(logicalId, path);
  }
  return names;
}

function nameOf(logicalId: string, names: Map<string, string>): string {
  return names.get(logicalId) ?? logicalId;
}

function renderValue(value: unknown, names: Map<string, string>): unknown {
  if (typeof value === 'string' || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => renderValue(item, names));
  const record = value as Record<string, unknown>;
  const ref = record['Ref'];
  if (typeof ref === 'string') return `\${${ref.startsWith('AWS::') ? ref : nameOf(ref, names)}}`;
  const getAtt = record['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return `\${${nameOf(String(getAtt[0]), names)}.${String(getAtt[1])}}`;
  const join = record['Fn::Join'];
  if (Array.isArray(join)) {
    const [delimiter, parts] = join as [string, unknown[]];
    return parts.map((part) => String(renderValue(part, names))).join(delimiter);
  }
  const sub = record['Fn::Sub'];
  if (typeof sub === 'string') return sub;
  return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, renderValue(item, names)]));
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  if (Object.keys(record).some((key) => key.startsWith('Fn::') || key === 'Ref')) return value;
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, sortedKeys(record[key])]),
  );
}
