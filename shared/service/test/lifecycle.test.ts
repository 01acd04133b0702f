import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryLogger } from '@ocf/logging';
import { startParts, type BackgroundWork } from '../src/lifecycle.ts';

/** Parts that write what happens to them, in order, into `log`. */
function recordingParts(options: { failToStart?: string; failToStop?: string } = {}) {
  const log: string[] = [];
  const work = (name: string): BackgroundWork => ({
    start: () => {
      if (options.failToStart === name) return Promise.reject(new Error(`${name} cannot start`));
      log.push(`start ${name}`);
      return Promise.resolve();
    },
    stop: async () => {
      await Promise.resolve();
      if (options.failToStop === name) throw new Error(`${name} cannot stop`);
      log.push(`stop ${name}`);
    },
  });
  const logger = createMemoryLogger();
  return {
    log,
    logger,
    parts: {
      logger,
      consumer: {
        start: () => void log.push('start consumer'),
        stop: async () => {
          await Promise.resolve();
          log.push('drain consumer');
        },
      },
      http: {
        listen: () => {
          log.push('listen http');
          return Promise.resolve('http://127.0.0.1:1');
        },
        close: () => {
          log.push('close http');
          return Promise.resolve();
        },
      },
      background: { loop: work('loop'), listener: work('listener') },
    },
  };
}

describe('service lifecycle', () => {
  it('starts background work, then HTTP, then the consumer', async () => {
    const { log, parts } = recordingParts();
    const started = await startParts(parts);
    assert.equal(started.url, 'http://127.0.0.1:1');
    assert.deepEqual(log, ['start loop', 'start listener', 'listen http', 'start consumer']);
  });

  it('stops taking work first: drains the consumer, stops background work in reverse, closes HTTP last', async () => {
    const { log, parts } = recordingParts();
    const started = await startParts(parts);
    log.length = 0;
    await Promise.all([started.stop(), started.stop()]);
    assert.deepEqual(
      log,
      ['drain consumer', 'stop listener', 'stop loop', 'close http'],
      'each part stops once',
    );
  });

  it('still stops the rest when one part fails to stop', async () => {
    const { log, parts, logger } = recordingParts({ failToStop: 'listener' });
    const started = await startParts(parts);
    log.length = 0;
    await started.stop();
    assert.deepEqual(log, ['drain consumer', 'stop loop', 'close http']);
    assert.ok(logger.entries.some((e) => e.message === 'could not stop background work'));
  });

  it('stops what it started when a part fails to start, and takes no work', async () => {
    const { log, parts } = recordingParts({ failToStart: 'listener' });
    await assert.rejects(startParts(parts), /listener cannot start/);
    assert.deepEqual(log, ['start loop', 'stop loop', 'close http']);
  });
});
