import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { isSensitiveKey, redactingReplacer, scrubText, REDACTED } from '../src/index.ts';

const CANARY = 'canary-7f3a9c2e-do-not-log';

describe('redaction', () => {
  it('redacts credential-named keys but keeps ARNs and ids', () => {
    for (const key of [
      'password',
      'accessToken',
      'as_token',
      'Authorization',
      'clientSecret',
      'registrationSharedSecret',
    ])
      assert.ok(isSensitiveKey(key), key);
    for (const key of ['secretArn', 'tokenId', 'agentId', 'message', 'secretName'])
      assert.ok(!isSensitiveKey(key), key);
  });

  it('scrubs tokens inside free text', () => {
    assert.equal(scrubText(`Authorization: Bearer ${CANARY}`), `Authorization: Bearer ${REDACTED}`);
    assert.equal(
      scrubText(`GET /sync?since=1&access_token=${CANARY}`),
      `GET /sync?since=1&access_token=${REDACTED}`,
    );
    assert.equal(scrubText(`token syt_YWdlbnQ_${CANARY}`), `token ${REDACTED}`);
    assert.equal(scrubText(`{"password": "${CANARY}"}`), `{"password": "${REDACTED}"}`);
  });

  it('redacts nested values and error messages', () => {
    const error = new Error(`login failed with Bearer ${CANARY}`, { cause: new Error(`password=${CANARY}`) });
    const text = JSON.stringify(
      { request: { headers: { authorization: CANARY } }, error },
      redactingReplacer,
    );
    assert.ok(!text.includes(CANARY), text);
    assert.ok(text.includes('login failed'));
  });
});

describe('createLogger', () => {
  it('writes one JSON object per line with service, level and bound keys, and never the canary', () => {
    // A child process, so we read exactly what Powertools writes to stdout.
    const script = `
      import { createLogger } from '@ocf/logging';
      const log = createLogger({ service: 'credentials', level: 'DEBUG' }).with({ agentId: 'ada-lovelace' });
      log.info('issued', { secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x', password: '${CANARY}' });
      log.error('homeserver said no', { error: new Error('401 for Bearer ${CANARY}') });
      log.debug('request', { url: 'http://hs/_matrix/client/v3/sync?access_token=${CANARY}' });
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: import.meta.dirname,
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'DEBUG' },
    });
    assert.equal(run.status, 0, run.stderr);
    // Powertools writes WARN and ERROR to stderr, the rest to stdout.
    const output = `${run.stdout}\n${run.stderr}`;
    assert.ok(!output.includes(CANARY), output);
    const lines = output
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines.map((l) => l['message']).sort(), ['homeserver said no', 'issued', 'request']);
    const issued = lines.find((l) => l['message'] === 'issued');
    assert.equal(issued?.['service'], 'credentials');
    assert.equal(issued['agentId'], 'ada-lovelace');
    assert.equal(issued['password'], REDACTED);
    assert.match(String(issued['secretArn']), /^arn:aws:secretsmanager/);
    assert.equal(lines.find((l) => l['message'] === 'homeserver said no')?.['level'], 'ERROR');
  });
});
