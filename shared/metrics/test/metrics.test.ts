import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AGENT_STATES,
  CASCADE_STEPS,
  FLEET_METRICS,
  MetricDatumError,
  metricDatum,
  type AgentState,
} from '../src/index.ts';

describe('the metric catalogue', () => {
  it('names each metric by its key, once', () => {
    for (const [key, metric] of Object.entries(FLEET_METRICS)) assert.equal(metric.name, key);
  });

  it('puts Environment first on every metric, so fleets sharing an account never mix', () => {
    for (const metric of Object.values(FLEET_METRICS)) assert.equal(metric.dimensions[0], 'Environment');
  });

  it('has no duplicate states or steps', () => {
    assert.equal(new Set(AGENT_STATES).size, AGENT_STATES.length);
    for (const steps of Object.values(CASCADE_STEPS)) assert.equal(new Set(steps).size, steps.length);
  });
});

describe('metricDatum', () => {
  it("builds PutMetricData's entry with the catalogue's name, unit and dimension order", () => {
    const at = new Date('2026-11-25T10:00:00Z');
    const datum = metricDatum(
      FLEET_METRICS.CascadeStepLatency,
      { Step: 'task', Environment: 'prod', Cascade: 'hire' },
      1234,
      at,
    );
    assert.deepEqual(datum, {
      MetricName: 'CascadeStepLatency',
      Unit: 'Milliseconds',
      Value: 1234,
      Dimensions: [
        { Name: 'Environment', Value: 'prod' },
        { Name: 'Cascade', Value: 'hire' },
        { Name: 'Step', Value: 'task' },
      ],
      Timestamp: at,
    });
  });

  it('leaves the timestamp out when none is given (CloudWatch then uses the time of receipt)', () => {
    const datum = metricDatum(FLEET_METRICS.Hires, { Environment: 'prod' }, 1);
    assert.equal('Timestamp' in datum, false);
  });

  it('refuses a dimension value the dashboard does not know, even from an untyped caller', () => {
    const state = 'sleeping' as AgentState;
    assert.throws(
      () => metricDatum(FLEET_METRICS.AgentsByState, { Environment: 'prod', State: state }, 3),
      (error: unknown) => error instanceof MetricDatumError && /State must be one of/.test(error.message),
    );
  });

  it('refuses missing and unknown dimensions', () => {
    assert.throws(
      () => metricDatum(FLEET_METRICS.Hires, { Environment: '' }, 1),
      /dimension Environment is required/,
    );
    const withExtra = { Environment: 'prod', Service: 'health' } as { Environment: string };
    assert.throws(() => metricDatum(FLEET_METRICS.Hires, withExtra, 1), /unknown dimension\(s\) Service/);
  });

  it('refuses values CloudWatch would reject or that make no sense for a count', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, -1]) {
      assert.throws(
        () => metricDatum(FLEET_METRICS.Restarts, { Environment: 'prod' }, value),
        MetricDatumError,
      );
    }
  });
});
