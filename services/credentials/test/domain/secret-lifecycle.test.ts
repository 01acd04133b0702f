import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decideOnHire,
  decideOnRetirement,
  decideOnRotation,
  type SecretState,
} from '../../src/domain/secret-lifecycle.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/ada-000001';
const DELETION = new Date('2026-12-02T10:00:00.000Z');
const absent: SecretState = { kind: 'absent' };
const scheduled: SecretState = { kind: 'scheduled-for-deletion', arn: ARN, deletionDate: DELETION };
const active = (currentVersionId: string, ...older: string[]): SecretState => ({
  kind: 'active',
  arn: ARN,
  currentVersionId,
  versionIds: [currentVersionId, ...older],
});

describe('secret lifecycle decisions', () => {
  it('on hire: create a missing secret, restore a retired one, report an existing one', () => {
    assert.deepEqual(decideOnHire(absent), { action: 'create' });
    assert.deepEqual(decideOnHire(scheduled), { action: 'restore', arn: ARN });
    assert.deepEqual(decideOnHire(active('v1')), { action: 'report-issued', arn: ARN });
  });

  it('on retirement: schedule deletion once, report it again, and need nothing without a secret', () => {
    assert.deepEqual(decideOnRetirement(active('v1')), { action: 'schedule-deletion', arn: ARN });
    assert.deepEqual(decideOnRetirement(scheduled), {
      action: 'report-revoked',
      arn: ARN,
      deletionDate: DELETION,
    });
    assert.deepEqual(decideOnRetirement(absent), { action: 'nothing-to-revoke' });
  });

  describe('on rotation', () => {
    const fresh = { versionId: 'r1', versionAlreadyWritten: false };

    it('writes the request’s version once, then reports it while it is current', () => {
      assert.deepEqual(decideOnRotation(active('v1'), fresh), { action: 'put-new-version', arn: ARN });
      assert.deepEqual(decideOnRotation(active('r1', 'v1'), fresh), {
        action: 'report-rotated',
        arn: ARN,
        versionId: 'r1',
      });
    });

    it('ignores a request whose version a later rotation replaced, listed or not', () => {
      assert.deepEqual(decideOnRotation(active('r2', 'r1'), fresh), {
        action: 'ignore-superseded',
        arn: ARN,
      });
      assert.deepEqual(
        decideOnRotation(active('r3', 'r2'), { versionId: 'r1', versionAlreadyWritten: true }),
        {
          action: 'ignore-superseded',
          arn: ARN,
        },
      );
    });

    it('waits for a secret that is not there yet, and refuses a retired agent', () => {
      assert.deepEqual(decideOnRotation(absent, fresh), { action: 'wait-for-secret' });
      assert.deepEqual(decideOnRotation(scheduled, fresh), { action: 'refuse-retired', arn: ARN });
    });
  });
});
