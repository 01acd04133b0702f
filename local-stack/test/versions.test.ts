import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { MOTO_IMAGE, SYNAPSE_IMAGE } from '../src/containers.ts';
import { sources } from '../src/paths.ts';

async function pins(): Promise<Map<string, string>> {
  const lines = (await readFile(sources.requirements, 'utf8'))
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  return new Map(
    lines.map((line) => {
      const match = /^([A-Za-z0-9._-]+)==([A-Za-z0-9.+!-]+)$/.exec(line);
      assert.ok(match, `requirements.txt must pin every package exactly (name==version), not "${line}"`);
      return [match[1]!.toLowerCase(), match[2]!];
    }),
  );
}

describe('pinned versions', () => {
  it('requirements.txt pins moto, Synapse and the packages they need', async () => {
    const pinned = await pins();
    for (const name of [
      'moto',
      'matrix-synapse',
      'flask',
      'flask-cors',
      'jsonpath-ng',
      'boto3',
      'setuptools',
    ]) {
      assert.ok(pinned.has(name), `${name} is missing from requirements.txt`);
    }
  });

  it('the container images run the same versions as the venv', async () => {
    const pinned = await pins();
    assert.equal(MOTO_IMAGE, `motoserver/moto:${pinned.get('moto')}`);
    assert.equal(SYNAPSE_IMAGE, `matrixdotorg/synapse:v${pinned.get('matrix-synapse')}`);
    const compose = await readFile(sources.composeFile, 'utf8');
    assert.match(compose, new RegExp(`image: ${MOTO_IMAGE}\\n`));
    assert.match(compose, new RegExp(`image: ${SYNAPSE_IMAGE}\\n`));
  });
});
