import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LocalStackError } from '../src/errors.ts';
import { defaultStateDir } from '../src/paths.ts';
import { resolveStackSettings } from '../src/settings.ts';
import { parseStackInfo } from '../src/stack-info.ts';

describe('stack settings', () => {
  it('defaults to the repository state folder, its venv and the usual ports', () => {
    const settings = resolveStackSettings({}, {});
    assert.equal(settings.stateDir, defaultStateDir);
    assert.equal(settings.venvDir, path.join(defaultStateDir, 'venv'));
    assert.equal(settings.stackInfoFile, path.join(defaultStateDir, 'stack.json'));
    assert.deepEqual(
      [settings.motoPort, settings.synapsePort, settings.bridgeAppservicePort],
      [4566, 8008, 9009],
    );
    assert.equal(settings.serverName, 'localhost');
  });

  it('takes the environment over the defaults and explicit options over both', () => {
    const env = {
      OCF_STACK_DIR: '/tmp/a',
      OCF_VENV_DIR: '/tmp/venv',
      OCF_MOTO_PORT: '5001',
      OCF_SYNAPSE_PORT: ' ',
    };
    const settings = resolveStackSettings({ motoPort: 6001 }, env);
    assert.equal(settings.stateDir, '/tmp/a');
    assert.equal(settings.venvDir, '/tmp/venv');
    assert.equal(settings.motoPort, 6001);
    assert.equal(settings.synapsePort, 8008, 'a blank variable counts as unset');
    assert.equal(resolveStackSettings({}, env).motoPort, 5001);
  });

  it('rejects a port that is not one, naming the variable', () => {
    assert.throws(
      () => resolveStackSettings({}, { OCF_SYNAPSE_PORT: '80a' }),
      (error: unknown) =>
        error instanceof LocalStackError &&
        error.code === 'INVALID_SETTING' &&
        error.message.includes('OCF_SYNAPSE_PORT'),
    );
  });
});

describe('stack.json', () => {
  it('is read back only when complete', () => {
    const info = {
      awsEndpoint: 'http://127.0.0.1:4566',
      region: 'us-east-1',
      homeserverUrl: 'http://127.0.0.1:8008',
      serverName: 'localhost',
      registrationSharedSecret: 's',
      appservice: {
        id: 'ocf-bridge',
        asToken: 'a',
        hsToken: 'h',
        senderLocalpart: 'fleet-bot',
        url: 'u',
        userPrefix: 'agent-',
      },
    };
    assert.deepEqual(parseStackInfo(JSON.parse(JSON.stringify(info)), 'stack.json'), info);
    const { hsToken: _, ...appservice } = info.appservice;
    assert.throws(() => parseStackInfo({ ...info, appservice }, 'stack.json'), /appservice\.hsToken/);
  });
});
