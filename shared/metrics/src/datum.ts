import {
  AGENT_STATES,
  CALL_OUTCOMES,
  CASCADES,
  TOKEN_DIRECTIONS,
  CASCADE_STEPS,
  type DimensionName,
  type DimensionValues,
  type FleetMetric,
  type MetricUnit,
} from './catalogue.ts';

/**
 * One entry of CloudWatch's `PutMetricData`, shaped like the SDK's `MetricDatum`, so the health
 * service passes it straight to `PutMetricDataCommand` (this package needs no SDK of its own).
 */
export interface MetricDatum {
  readonly MetricName: string;
  readonly Unit: MetricUnit;
  readonly Value: number;
  readonly Dimensions: readonly { readonly Name: string; readonly Value: string }[];
  readonly Timestamp?: Date;
}

/** A datum that does not fit the catalogue: a programming error, never worth retrying. */
export class MetricDatumError extends Error {
  readonly code = 'METRIC_DATUM_INVALID';
  readonly retryable = false;

  constructor(message: string) {
    super(message);
    this.name = 'MetricDatumError';
  }
}

const ALLOWED: { readonly [D in DimensionName]?: readonly string[] } = {
  State: AGENT_STATES,
  Cascade: CASCADES,
  Step: [...new Set(Object.values(CASCADE_STEPS).flat())],
  Direction: TOKEN_DIRECTIONS,
  Outcome: CALL_OUTCOMES,
};

/**
 * The datum for one value of one catalogue metric. The dimension values are typed by the
 * metric, and checked again at run time (callers may hold plain strings from events), so a
 * series the dashboard does not know can never be published.
 */
export function metricDatum<D extends DimensionName>(
  metric: FleetMetric<D>,
  dimensions: { readonly [K in D]: DimensionValues[K] },
  value: number,
  timestamp?: Date,
): MetricDatum {
  if (!Number.isFinite(value) || value < 0) {
    throw new MetricDatumError(`${metric.name}: value must be a finite number >= 0, got ${value}`);
  }
  const given: Readonly<Record<string, string>> = dimensions;
  const extra = Object.keys(given).filter((name) => !(metric.dimensions as readonly string[]).includes(name));
  if (extra.length > 0) {
    throw new MetricDatumError(`${metric.name}: unknown dimension(s) ${extra.join(', ')}`);
  }
  const pairs = metric.dimensions.map((name) => {
    const dimensionValue = given[name];
    if (dimensionValue === undefined || dimensionValue === '') {
      throw new MetricDatumError(`${metric.name}: dimension ${name} is required`);
    }
    const allowed = ALLOWED[name];
    if (allowed !== undefined && !allowed.includes(dimensionValue)) {
      throw new MetricDatumError(
        `${metric.name}: ${name} must be one of ${allowed.join(', ')}, got "${dimensionValue.slice(0, 64)}"`,
      );
    }
    return { Name: name, Value: dimensionValue };
  });
  return {
    MetricName: metric.name,
    Unit: metric.unit,
    Value: value,
    Dimensions: pairs,
    ...(timestamp === undefined ? {} : { Timestamp: timestamp }),
  };
}
