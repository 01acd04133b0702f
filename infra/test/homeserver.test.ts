import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fleetRouting } from '@ocf/routing';
import {
  resourcesOf,
  sharedFleet,
  synthesizeFleet,
  TEST_ENVIRONMENT,
  type SynthesizedFleet,
} from './support/fleet.ts';

const routing = fleetRouting(TEST_ENVIRONMENT);

interface Container {
  readonly Name: string;
  readonly Secrets?: { Name: string; ValueFrom: unknown }[];
  readonly Environment?: { Name: string; Value: unknown }[];
}

function containersOf(fleet: SynthesizedFleet, family: string): Container[] {
  const task = resourcesOf(fleet.json, 'AWS::ECS::TaskDefinition').find(
    ([, resource]) => resource.Properties['Family'] === family,
  );
  assert.ok(task !== undefined, `no task definition ${family}`);
  return task[1].Properties['ContainerDefinitions'] as Container[];
}

const secretNames = (fleet: SynthesizedFleet): string[] =>
  resourcesOf(fleet.json, 'AWS::SecretsManager::Secret').map(([, secret]) =>
    String(secret.Properties['Name']),
  );

const SHARED_SECRET_NAME = `ocf/${TEST_ENVIRONMENT}/platform/matrix/registration-shared-secret`;

describe('standing homeserver credentials (issue 11, item 7; ADR 0020), and the homeserver size', () => {
  const fleet = sharedFleet();
  /** An operator bootstrapping the first human admin, on a bigger homeserver task. */
  let other: SynthesizedFleet | undefined;
  const bootstrappingFleet = () =>
    (other ??= synthesizeFleet({
      homeserverSharedSecretRegistration: true,
      homeserverTaskSize: { cpu: 1024, memoryMiB: 2048 },
    }));

  it("gives the bridge its two application-service tokens and nothing else of the homeserver's", () => {
    const [bridge] = containersOf(fleet, `${routing.prefix}-bridge`);
    assert.deepEqual(bridge?.Secrets?.map((secret) => secret.Name).sort(), [
      'BRIDGE_AS_TOKEN',
      'BRIDGE_HS_TOKEN',
    ]);
    assert.ok(
      !(bridge.Environment ?? []).some((variable) => variable.Name.includes('SHARED_SECRET')),
      'no shared secret in its environment either',
    );
  });

  it('has no shared-secret registration on the homeserver unless an operator asks for it', () => {
    assert.ok(!secretNames(fleet).includes(SHARED_SECRET_NAME), 'no registration shared secret exists');
    const [synapse] = containersOf(fleet, `${routing.prefix}-homeserver`);
    assert.ok(!synapse?.Secrets?.some((secret) => secret.Name === 'SYNAPSE_REGISTRATION_SHARED_SECRET'));

    const bootstrapping = bootstrappingFleet();
    assert.ok(secretNames(bootstrapping).includes(SHARED_SECRET_NAME));
    const [withSecret] = containersOf(bootstrapping, `${routing.prefix}-homeserver`);
    assert.ok(withSecret?.Secrets?.some((secret) => secret.Name === 'SYNAPSE_REGISTRATION_SHARED_SECRET'));
    const [bridge] = containersOf(bootstrapping, `${routing.prefix}-bridge`);
    assert.ok(
      !bridge?.Secrets?.some((secret) => secret.Name.includes('SHARED_SECRET')),
      'the bridge never gets it',
    );
  });

  it('sizes the homeserver task from its setting, 0.5 vCPU and 1 GiB by default', () => {
    const task = (f: SynthesizedFleet) =>
      resourcesOf(f.json, 'AWS::ECS::TaskDefinition').find(
        ([, resource]) => resource.Properties['Family'] === `${routing.prefix}-homeserver`,
      )?.[1].Properties;
    assert.deepEqual([task(fleet)?.['Cpu'], task(fleet)?.['Memory']], ['512', '1024']);
    const bigger = bootstrappingFleet();
    assert.deepEqual([task(bigger)?.['Cpu'], task(bigger)?.['Memory']], ['1024', '2048']);
  });
});
