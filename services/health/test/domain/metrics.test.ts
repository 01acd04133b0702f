import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reportLatency } from '../../src/domain/metrics.ts';
import { at } from '../support/records.ts';

const start = { at: at(0).toISOString() };

describe('health metrics', () => {
  it('reports a cascade step latency once, and remembers it on the record', () => {
    const metrics: Parameters<typeof reportLatency>[1] = [];
    const once = reportLatency(
      { latencyReported: [] },
      metrics,
      'test',
      'hire',
      'credentials',
      start,
      at(2).toISOString(),
    );
    assert.deepEqual(once.latencyReported, ['hire:credentials']);
    assert.deepEqual(
      metrics.map((m) => [m.MetricName, m.Value]),
      [['CascadeStepLatency', 2000]],
    );
    const again = reportLatency(once, metrics, 'test', 'hire', 'credentials', start, at(3).toISOString());
    assert.equal(again, once);
    assert.equal(metrics.length, 1);
  });

  it("names the whole cascade's latency apart from its steps", () => {
    const metrics: Parameters<typeof reportLatency>[1] = [];
    reportLatency({ latencyReported: [] }, metrics, 'test', 'retire', '*', start, at(5).toISOString());
    assert.deepEqual(
      metrics.map((m) => [m.MetricName, m.Value]),
      [['CascadeLatency', 5000]],
    );
  });

  it('reports nothing without a start, or for an event older than the start', () => {
    const metrics: Parameters<typeof reportLatency>[1] = [];
    const record = { latencyReported: [] };
    assert.equal(
      reportLatency(record, metrics, 'test', 'hire', 'task', undefined, at(1).toISOString()),
      record,
    );
    assert.equal(
      reportLatency(
        record,
        metrics,
        'test',
        'hire',
        'task',
        { at: at(5).toISOString() },
        at(1).toISOString(),
      ),
      record,
    );
    assert.deepEqual(metrics, []);
  });
});
