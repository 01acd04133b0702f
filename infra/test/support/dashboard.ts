import { joinedText, type CloudFormationTemplate } from './fleet.ts';

export interface DashboardMetric {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

export interface DashboardWidget {
  readonly type: string;
  readonly title: string;
  readonly metrics: readonly DashboardMetric[];
  /** Metric math and SEARCH expressions of the widget. */
  readonly expressions: readonly string[];
}

/**
 * The dashboard's widgets, read back from the template's DashboardBody. The body is a JSON string
 * joined with CloudFormation references; each reference becomes `<ref:LogicalId>` so the JSON
 * parses, and metrics come out as namespace, name and dimensions.
 */
export function dashboardWidgets(json: CloudFormationTemplate): DashboardWidget[] {
  const dashboards = Object.values(json.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
  if (dashboards.length !== 1) throw new Error(`expected one dashboard, found ${dashboards.length}`);
  const body = parseJoined(dashboards[0]!.Properties?.['DashboardBody']) as {
    widgets: { type: string; properties: { title?: string; markdown?: string; metrics?: unknown[][] } }[];
  };
  return body.widgets.map((widget) => {
    const rows = widget.properties.metrics ?? [];
    const metrics: DashboardMetric[] = [];
    const expressions: string[] = [];
    for (const row of rows) {
      const options = row.find((item) => typeof item === 'object' && item !== null) as
        { expression?: string } | undefined;
      if (typeof row[0] === 'string') metrics.push(metricOf(row.filter((item) => typeof item === 'string')));
      else if (options?.expression !== undefined) expressions.push(options.expression);
    }
    return {
      type: widget.type,
      title: widget.properties.title ?? widget.properties.markdown ?? '',
      metrics,
      expressions,
    };
  });
}

function metricOf(parts: string[]): DashboardMetric {
  const [namespace, name, ...pairs] = parts;
  if (namespace === undefined || name === undefined)
    throw new Error(`not a metric: ${JSON.stringify(parts)}`);
  const dimensions: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i]!] = pairs[i + 1]!;
  return { namespace, name, dimensions };
}

function parseJoined(value: unknown): unknown {
  return JSON.parse(joinedText(value));
}
