import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cascadeStepSchema } from '@ocf/events';
import { AGENT_STATES, CASCADE_STEPS, FLEET_METRICS, METRICS_NAMESPACE } from '@ocf/metrics';
import { SERVICE_NAMES, fleetRouting } from '@ocf/routing';
import { dashboardWidgets, type DashboardMetric } from './support/dashboard.ts';
import {
  joinedText,
  onlyResourceOf,
  resourcesOf,
  sharedFleet,
  TEST_ENVIRONMENT,
  withNames,
} from './support/fleet.ts';

const fleet = sharedFleet();
const routing = fleetRouting(TEST_ENVIRONMENT);
const widgets = dashboardWidgets(fleet.json).map((w) => ({
  ...w,
  metrics: w.metrics.map((m) => ({
    ...m,
    dimensions: Object.fromEntries(
      Object.entries(m.dimensions).map(([k, v]) => [k, withNames(fleet.json, v)]),
    ),
  })),
  expressions: w.expressions.map((e) => withNames(fleet.json, e)),
}));
const widget = (title: string) => {
  const found = widgets.find((w) => w.title === title);
  assert.ok(
    found !== undefined,
    `no widget "${title}"; there are: ${widgets.map((w) => w.title).join(' | ')}`,
  );
  return found;
};
const dashboardMetrics = widgets.flatMap((w) => w.metrics);
const fleetMetricsOn = (metrics: readonly DashboardMetric[]) =>
  metrics.filter((m) => m.namespace === METRICS_NAMESPACE);

type Alarm = { Properties: Record<string, unknown> };
const alarms = new Map(
  resourcesOf(fleet.json, 'AWS::CloudWatch::Alarm')
    .map(([, alarm]) => [String(alarm.Properties['AlarmName']), alarm] as [string, Alarm])
    .filter(([name]) => name.startsWith(routing.prefix)),
);
/** The metrics an alarm reads, plain or inside metric math. */
const alarmMetrics = (alarm: Alarm): DashboardMetric[] => {
  const p = alarm.Properties;
  const plain =
    p['MetricName'] === undefined
      ? []
      : [
          {
            namespace: p['Namespace'] as string,
            name: p['MetricName'] as string,
            dimensions: dimensionsOf(p['Dimensions']),
          },
        ];
  const math = ((p['Metrics'] as { MetricStat?: { Metric: Record<string, unknown> } }[] | undefined) ?? [])
    .filter((m) => m.MetricStat !== undefined)
    .map(({ MetricStat }) => ({
      namespace: String(MetricStat!.Metric['Namespace']),
      name: String(MetricStat!.Metric['MetricName']),
      dimensions: dimensionsOf(MetricStat!.Metric['Dimensions']),
    }));
  return [...plain, ...math];
};
function dimensionsOf(value: unknown): Record<string, string> {
  return Object.fromEntries(
    ((value as { Name: string; Value: unknown }[] | undefined) ?? []).map((d) => [
      d.Name,
      withNames(fleet.json, joinedText(d.Value)),
    ]),
  );
}

describe('the fleet dashboard', () => {
  it('has the widgets operators need', () => {
    for (const title of [
      'Agents by state',
      'Hires and retirements per minute',
      'Restarts and crash loops (per 5 minutes)',
      'Hire cascade: time to each step (p90)',
      'Retirement cascade: time to each step (p90)',
      'Dead letters per queue',
      'Service CPU (%)',
      'Service memory (%)',
      'Agent tasks: CPU (units)',
      'Agent tasks: memory (MiB)',
      'Agent tasks running',
      'Alarms',
    ]) {
      widget(title);
    }
  });

  it('reads only metrics the health service publishes: the @ocf/metrics catalogue, with its dimensions', () => {
    const used = [
      ...fleetMetricsOn(dashboardMetrics),
      ...[...alarms.values()].flatMap(alarmMetrics).filter((m) => m.namespace === METRICS_NAMESPACE),
    ];
    assert.ok(used.length > 0);
    const catalogue = new Map(Object.values(FLEET_METRICS).map((metric) => [metric.name, metric]));
    for (const metric of used) {
      const definition = catalogue.get(metric.name);
      assert.ok(definition !== undefined, `${metric.name} is not in @ocf/metrics`);
      assert.deepEqual(Object.keys(metric.dimensions).sort(), [...definition.dimensions].sort(), metric.name);
      assert.equal(metric.dimensions['Environment'], TEST_ENVIRONMENT, metric.name);
    }
  });

  it('shows every metric of the catalogue, for every state and step it names', () => {
    const shown = fleetMetricsOn(dashboardMetrics);
    // Per-department metrics are searched for (departments are the org's names, unknown at synth).
    const searched = Object.values(FLEET_METRICS).filter((m) =>
      (m.dimensions as readonly string[]).includes('Department'),
    );
    const expressions = widgets.flatMap((w) => w.expressions);
    for (const metric of searched) {
      assert.ok(
        expressions.some(
          (e) =>
            e.includes(`{${METRICS_NAMESPACE},${metric.dimensions.join(',')}}`) &&
            e.includes(`MetricName="${metric.name}"`) &&
            e.includes(`Environment="${TEST_ENVIRONMENT}"`),
        ),
        `${metric.name} is searched for on the dashboard`,
      );
    }
    assert.deepEqual(
      [...new Set(shown.map((m) => m.name))].sort(),
      Object.values(FLEET_METRICS)
        .filter((m) => !searched.includes(m))
        .map((m) => m.name)
        .sort(),
    );
    const states = shown
      .filter((m) => m.name === FLEET_METRICS.AgentsByState.name)
      .map((m) => m.dimensions['State']);
    assert.deepEqual(states.sort(), [...AGENT_STATES].sort());
    for (const [cascade, steps] of Object.entries(CASCADE_STEPS)) {
      const plotted = shown
        .filter(
          (m) => m.name === FLEET_METRICS.CascadeStepLatency.name && m.dimensions['Cascade'] === cascade,
        )
        .map((m) => m.dimensions['Step']);
      assert.deepEqual(plotted, [...steps], cascade);
    }
  });

  it('names cascade steps as the event catalogue does', () => {
    const steps = new Set<string>(cascadeStepSchema.options);
    for (const step of Object.values(CASCADE_STEPS).flat()) assert.ok(steps.has(step), step);
  });

  it('shows the depth of every dead-letter queue', () => {
    const queues = widget('Dead letters per queue').metrics.map((m) => [
      m.namespace,
      m.name,
      m.dimensions['QueueName'],
    ]);
    assert.deepEqual(
      queues,
      SERVICE_NAMES.map((s) => [
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        routing.queues[s].deadLetterQueueName,
      ]),
    );
  });

  it('shows CPU and memory of every service and of the homeserver', () => {
    for (const [title, name] of [
      ['Service CPU (%)', 'CPUUtilization'],
      ['Service memory (%)', 'MemoryUtilization'],
    ] as const) {
      assert.deepEqual(
        widget(title).metrics.map((m) => [m.namespace, m.name, m.dimensions['ServiceName']]),
        [...SERVICE_NAMES, 'homeserver'].map((service) => ['AWS/ECS', name, `${routing.prefix}-${service}`]),
        title,
      );
    }
  });

  it("shows agent tasks' CPU and memory from the agents' cluster", () => {
    for (const [title, name] of [
      ['Agent tasks: CPU (units)', 'CpuUtilized'],
      ['Agent tasks: memory (MiB)', 'MemoryUtilized'],
    ] as const) {
      const shown = widget(title);
      assert.ok(
        shown.metrics.some((m) => m.namespace === 'ECS/ContainerInsights' && m.name === name),
        title,
      );
      assert.ok(
        shown.expressions.some(
          (e) => e.includes(`MetricName="${name}"`) && e.includes(`${routing.prefix}-agents`),
        ),
      );
    }
  });
});

describe('alarms', () => {
  it('fire on any dead letter, crash-looping agents, slow cascades, unhealthy services and silent health', () => {
    const expected = [
      ...SERVICE_NAMES.map((s) => `${s}-dead-letters`),
      'agents-crash-looping',
      'hire-cascade-slow',
      'retire-cascade-slow',
      ...[...SERVICE_NAMES, 'homeserver'].map((s) => `${s}-unhealthy`),
      'directory-targets-unhealthy',
      'homeserver-targets-unhealthy',
      // Agents reach the gateway through the load balancer (ADR 0026).
      'model-gateway-targets-unhealthy',
      // Element, for operators (issue 16).
      'matrix-web-client-targets-unhealthy',
      'fleet-metrics-missing',
    ].map((name) => `${routing.prefix}-${name}`);
    assert.deepEqual([...alarms.keys()].sort(), expected.sort());
  });

  it('alarm on a single dead letter, per queue', () => {
    for (const service of SERVICE_NAMES) {
      const alarm = alarms.get(`${routing.prefix}-${service}-dead-letters`)!;
      assert.deepEqual(alarmMetrics(alarm), [
        {
          namespace: 'AWS/SQS',
          name: 'ApproximateNumberOfMessagesVisible',
          dimensions: { QueueName: routing.queues[service].deadLetterQueueName },
        },
      ]);
      assert.deepEqual(
        [alarm.Properties['Threshold'], alarm.Properties['ComparisonOperator']],
        [0, 'GreaterThanThreshold'],
      );
    }
  });

  it('all notify the alarm topic, when they fire and when they clear', () => {
    const [topicId] = onlyResourceOf(fleet.json, 'AWS::SNS::Topic');
    for (const [name, alarm] of alarms) {
      assert.deepEqual(alarm.Properties['AlarmActions'], [{ Ref: topicId }], name);
      assert.deepEqual(alarm.Properties['OKActions'], [{ Ref: topicId }], name);
    }
  });
});
