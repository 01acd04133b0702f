import assert from 'node:assert/strict';
import { it } from 'node:test';
import { SecretText } from '@ocf/secrets';
import { SecretConflictError, SecretStoreError, type SecretStore } from '../../src/ports.ts';

const DAY_MS = 24 * 3600 * 1000;
const TOKEN_1 = '00000000-0000-4000-8000-000000000001';
const TOKEN_2 = '00000000-0000-4000-8000-000000000002';

/**
 * What the handlers rely on from any SecretStore, written once and run against the in-memory
 * store (unit tests) and Secrets Manager on the emulator (integration tests), so the fake cannot
 * drift from the real thing. `freshName` gives each check a secret nobody else touches.
 */
export function secretStoreContract(store: () => SecretStore, freshName: () => string): void {
  const value = (text: string) => new SecretText(text);
  const create = (name: string, token = TOKEN_1, text = 'first value') =>
    store().create({
      name,
      value: value(text),
      description: 'contract check',
      tags: { 'ocf:agent-id': 'contract' },
      clientRequestToken: token,
    });

  it('describes a secret that does not exist as absent', async () => {
    assert.deepEqual(await store().describe({ name: freshName() }), { kind: 'absent' });
  });

  it('creates a secret whose first version is named by the request token', async () => {
    const name = freshName();
    const created = await create(name);
    assert.match(created.arn, /^arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/);
    assert.ok(created.arn.includes(name));
    assert.equal(created.versionId, TOKEN_1);
    assert.deepEqual(await store().describe({ name }), {
      kind: 'active',
      arn: created.arn,
      currentVersionId: TOKEN_1,
      versionIds: [TOKEN_1],
    });
  });

  it('treats a repeated create (same token, same value) as the same request, and refuses any other', async () => {
    const name = freshName();
    const created = await create(name);
    assert.deepEqual(await create(name), created);
    await assert.rejects(create(name, TOKEN_2, 'another value'), isConflict('exists'));
  });

  it('writes a new current version under the request token, once', async () => {
    const name = freshName();
    await create(name);
    const put = await store().putNewVersion({
      name,
      value: value('second value'),
      clientRequestToken: TOKEN_2,
    });
    assert.equal(put.versionId, TOKEN_2);
    assert.deepEqual(
      await store().putNewVersion({ name, value: value('second value'), clientRequestToken: TOKEN_2 }),
      put,
    );
    await assert.rejects(
      store().putNewVersion({ name, value: value('a third value'), clientRequestToken: TOKEN_2 }),
      isConflict('exists'),
    );
    const state = await store().describe({ name });
    assert.equal(state.kind === 'active' ? state.currentVersionId : undefined, TOKEN_2);
    assert.deepEqual(state.kind === 'active' ? [...state.versionIds].sort() : [], [TOKEN_1, TOKEN_2]);
  });

  it('schedules a deletion once, and restores it', async () => {
    const name = freshName();
    const { arn } = await create(name);
    const before = Date.now();
    const scheduled = await store().scheduleDeletion({ name, recoveryWindowDays: 7 });
    assert.equal(scheduled.arn, arn);
    assert.ok(Math.abs(scheduled.deletionDate.getTime() - (before + 7 * DAY_MS)) < 60_000);

    const state = await store().describe({ name });
    assert.equal(state.kind, 'scheduled-for-deletion');
    assert.equal(state.deletionDate.getTime(), scheduled.deletionDate.getTime());
    await assert.rejects(
      store().scheduleDeletion({ name, recoveryWindowDays: 7 }),
      isConflict('wrong-state'),
    );
    // AWS says wrong-state, the emulator says exists: the handlers treat both alike.
    await assert.rejects(create(name, TOKEN_2, 'over a retired secret'), isConflict());

    assert.deepEqual(await store().restore({ name }), { arn });
    assert.equal((await store().describe({ name })).kind, 'active');
  });

  it('refuses a recovery window Secrets Manager does not allow, permanently', async () => {
    const name = freshName();
    await create(name);
    await assert.rejects(
      store().scheduleDeletion({ name, recoveryWindowDays: 3 }),
      (error: unknown) => error instanceof SecretStoreError && !error.retryable,
    );
  });

  it('answers not-found for a secret that is not there', async () => {
    await assert.rejects(store().restore({ name: freshName() }), isConflict('not-found'));
    await assert.rejects(
      store().scheduleDeletion({ name: freshName(), recoveryWindowDays: 7 }),
      isConflict('not-found'),
    );
  });
}

function isConflict(conflict?: SecretConflictError['conflict']) {
  return (error: unknown): boolean =>
    error instanceof SecretConflictError && (conflict === undefined || error.conflict === conflict);
}
