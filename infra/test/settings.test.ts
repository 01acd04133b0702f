import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { DEFAULT_REGION, settingsFromContext } from '../src/index.ts';

const fromContext = (context: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
  settingsFromContext(new App({ context }).node, env);

describe('settings from CDK context', () => {
  it('reads the command line (strings, comma-separated lists)', () => {
    const settings = fromContext({
      environment: 'prod',
      modelArns:
        'arn:aws:bedrock:eu-west-1::foundation-model/a, arn:aws:bedrock:eu-west-1:123456789012:inference-profile/b',
      operatorCidrs: '10.0.0.0/8,192.168.0.0/16',
      retainData: 'false',
      agentCpu: '1024',
      agentMemoryMiB: '2048',
      homeserverCpu: '1024',
      homeserverMemoryMiB: '4096',
      homeserverSharedSecretRegistration: 'true',
      region: 'eu-west-1',
      certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
      domainName: 'fleet.example.internal',
    });
    assert.equal(settings.environment, 'prod');
    assert.equal(settings.domainName, 'fleet.example.internal');
    assert.equal(settings.allowPlaintext, undefined);
    assert.deepEqual(settings.modelArns, [
      'arn:aws:bedrock:eu-west-1::foundation-model/a',
      'arn:aws:bedrock:eu-west-1:123456789012:inference-profile/b',
    ]);
    assert.deepEqual(settings.operatorCidrs, ['10.0.0.0/8', '192.168.0.0/16']);
    assert.equal(settings.retainData, false);
    assert.deepEqual(settings.agentTaskSize, { cpu: 1024, memoryMiB: 2048 });
    assert.deepEqual(settings.homeserverTaskSize, { cpu: 1024, memoryMiB: 4096 });
    assert.equal(settings.homeserverSharedSecretRegistration, true);
    assert.equal(settings.region, 'eu-west-1');
  });

  it('defaults to a dev fleet that keeps its data, in the CLI profile region or the default one', () => {
    const settings = fromContext({ allowPlaintext: 'true' });
    assert.equal(settings.environment, 'dev');
    assert.equal(settings.retainData, undefined);
    assert.equal(settings.homeserverSharedSecretRegistration, undefined, 'no shared-secret registration');
    assert.equal(settings.homeserverTaskSize, undefined);
    assert.equal(settings.modelArns.length, 1);
    assert.equal(settings.region, DEFAULT_REGION);
    assert.equal(
      fromContext({ allowPlaintext: 'true' }, { CDK_DEFAULT_REGION: 'eu-central-1' }).region,
      'eu-central-1',
    );
  });

  it('insists on TLS: a certificate with the name it is for, or an explicit allowPlaintext', () => {
    assert.throws(() => fromContext({}), /certificateArn: required .*allowPlaintext=true/);
    assert.throws(() => fromContext({ allowPlaintext: 'false' }), /certificateArn: required/);
    assert.throws(
      () => fromContext({ certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' }),
      /domainName: required with certificateArn/,
    );
  });

  it('names every bad setting at once, before anything is built', () => {
    assert.throws(
      () =>
        fromContext({
          environment: 'Prod!',
          modelArns: 'arn:aws:s3:::bucket',
          operatorCidrs: '0.0.0.0',
          retainData: 'yes',
          agentCpu: '512',
        }),
      (error: unknown) =>
        error instanceof Error &&
        ['environment:', 'modelArns:', 'operatorCidrs:', 'retainData:', 'agentCpu and agentMemoryMiB'].every(
          (part) => error.message.includes(part),
        ),
    );
  });
});
