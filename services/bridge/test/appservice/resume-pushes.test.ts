import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryLogger } from '@ocf/logging';
import { createMemoryHomeserver } from '../../src/adapters/memory-homeserver.ts';
import { resumeHomeserverPushes } from '../../src/appservice/resume-pushes.ts';

describe('resuming the homeserver pushes at start', () => {
  it('asks once when the homeserver reaches the endpoint at the first try', async () => {
    const homeserver = createMemoryHomeserver();
    const waits: number[] = [];
    const resumed = await resumeHomeserverPushes(
      homeserver,
      createMemoryLogger(),
      new AbortController().signal,
      {
        sleep: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
      },
    );
    assert.equal(resumed, true);
    assert.deepEqual(homeserver.calls, ['resumePushes']);
    assert.deepEqual(waits, []);
  });

  it('asks again, after each delay, while the homeserver does not answer; then stops asking', async () => {
    const homeserver = createMemoryHomeserver();
    homeserver.down = true;
    const waits: number[] = [];
    const logger = createMemoryLogger();
    const resumed = await resumeHomeserverPushes(homeserver, logger, new AbortController().signal, {
      delaysMs: [10, 20],
      sleep: (ms) => {
        waits.push(ms);
        if (waits.length === 2) homeserver.down = false;
        return Promise.resolve();
      },
    });
    assert.equal(resumed, true);
    assert.deepEqual(waits, [10, 20]);
    assert.equal(homeserver.calls.length, 3);
    assert.equal(logger.entries.filter((e) => e.level === 'warn').length, 2, 'each failed try is said');
  });

  it('gives up after the last delay, says so, and never throws', async () => {
    const homeserver = createMemoryHomeserver();
    homeserver.down = true;
    const logger = createMemoryLogger();
    const resumed = await resumeHomeserverPushes(homeserver, logger, new AbortController().signal, {
      delaysMs: [1],
      sleep: () => Promise.resolve(),
    });
    assert.equal(resumed, false);
    assert.equal(homeserver.calls.length, 2);
    assert.match(logger.entries.at(-1)?.message ?? '', /retries on its own back-off/);
  });

  it('stops asking when the bridge stops', async () => {
    const homeserver = createMemoryHomeserver();
    homeserver.down = true;
    const stopping = new AbortController();
    const resumed = await resumeHomeserverPushes(homeserver, createMemoryLogger(), stopping.signal, {
      sleep: () => {
        stopping.abort();
        return Promise.resolve();
      },
    });
    assert.equal(resumed, false);
    assert.equal(homeserver.calls.length, 1);
  });
});
