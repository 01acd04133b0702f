import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { LogService, MatrixClient } from 'matrix-bot-sdk';
import { createMemoryLogger } from '@ocf/logging';
import { useFleetLoggerForMatrix } from '../src/index.ts';

const CANARY = 'syt_Y2FuYXJ5_do-not-log_0a1b2c';

describe('matrix-bot-sdk offline', () => {
  it('loads with the E2EE stand-in, which refuses clearly when used', () => {
    // Resolve the crypto module exactly as matrix-bot-sdk does, from its own location.
    const requireFromSdk = createRequire(createRequire(import.meta.url).resolve('matrix-bot-sdk'));
    const crypto = requireFromSdk('@matrix-org/matrix-sdk-crypto-nodejs') as Record<string, unknown> & {
      isStandIn?: boolean;
      OlmMachine: new () => unknown;
      UserId: new (id: string) => unknown;
    };
    assert.equal(crypto.isStandIn, true);
    assert.throws(() => new crypto.OlmMachine(), {
      code: 'E2EE_NOT_SUPPORTED',
      message: /End-to-end encryption is not supported/,
    });
    assert.throws(() => new crypto.UserId('@a:b'), /tried to use new UserId\(\)/);
    // A plain client (no crypto store) is built without touching the module at all.
    const client = new MatrixClient('http://127.0.0.1:1', 'not-a-real-token');
    assert.equal(client.crypto, undefined);
  });
});

describe('FleetMatrixLogger', () => {
  it("sends the SDK's logs through the fleet logger, redacted", () => {
    const logger = createMemoryLogger();
    useFleetLoggerForMatrix(logger, 'DEBUG');
    LogService.info('MatrixHttpClient', 'GET /sync?access_token=' + CANARY, {
      headers: { Authorization: `Bearer ${CANARY}` },
    });
    LogService.error('Appservice', 'failed', new Error(`token ${CANARY} rejected`));
    assert.equal(logger.entries.length, 2);
    assert.ok(!JSON.stringify(logger.entries).includes(CANARY), JSON.stringify(logger.entries));
    assert.equal(logger.entries[0]?.attributes['module'], 'MatrixHttpClient');
    assert.equal(logger.entries[1]?.level, 'error');
  });
});
