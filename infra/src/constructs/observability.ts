import { Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import {
  AGENT_STATES,
  CALL_OUTCOMES,
  CASCADES,
  CASCADE_STEPS,
  FLEET_METRICS,
  METRICS_NAMESPACE,
  TOKEN_DIRECTIONS,
  type Cascade,
  type FleetMetric,
} from '@ocf/metrics';
import { SERVICE_NAMES, type FleetRouting, type ServiceName } from '@ocf/routing';
import type { ServiceQueues } from './event-routing.ts';

export interface ObservabilityProps {
  readonly routing: FleetRouting;
  readonly key: kms.IKey;
  /** The platform's cluster (services, homeserver) and the agents' cluster. */
  readonly cluster: ecs.ICluster;
  readonly agentCluster: ecs.ICluster;
  readonly queues: { readonly [S in ServiceName]: ServiceQueues };
  /** The five services and the homeserver, by the name they show under. */
  readonly services: Readonly<Record<ServiceName | 'homeserver', ecs.FargateService>>;
  /** Load balancer target groups, by name. */
  readonly targetGroups: Readonly<Record<string, elbv2.ApplicationTargetGroup>>;
  /** p90 time from a hire to a running agent (and from a retirement to its end) before alarming. */
  readonly cascadeLatencyTarget: Duration;
  readonly alarmEmail: string | undefined;
}

const MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);
const CONTAINER_INSIGHTS = 'ECS/ContainerInsights';

/**
 * The fleet dashboard and its alarms. The fleet's own metrics come from @ocf/metrics, the same
 * catalogue the health service publishes through; infra's tests check that every metric used
 * here is in it and every metric in it is used here.
 */
export class Observability extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { routing } = props;
    const fleet = (
      metric: FleetMetric,
      dimensions: Record<string, string>,
      period: Duration,
      label?: string,
    ) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: metric.name,
        dimensionsMap: { Environment: routing.environment, ...dimensions },
        statistic: metric.statistic,
        period,
        ...(label === undefined ? {} : { label }),
      });
    const insights = (
      cluster: ecs.ICluster,
      metricName: string,
      dimensions: Record<string, string>,
      statistic: string,
      label: string,
    ) =>
      new cloudwatch.Metric({
        namespace: CONTAINER_INSIGHTS,
        metricName,
        dimensionsMap: { ClusterName: cluster.clusterName, ...dimensions },
        statistic,
        period: MINUTE,
        label,
      });

    this.topic = this.alarmTopic(props);
    const alarm = (
      name: string,
      description: string,
      options: Omit<cloudwatch.AlarmProps, 'alarmName' | 'alarmDescription'>,
    ) => {
      const created = new cloudwatch.Alarm(this, name, {
        alarmName: `${routing.prefix}-${name}`,
        alarmDescription: description,
        ...options,
      });
      created.addAlarmAction(new actions.SnsAction(this.topic));
      created.addOkAction(new actions.SnsAction(this.topic));
      this.alarms.push(created);
      return created;
    };

    // --- the fleet: agents, hires and retirements, health verdicts -------------------------
    const agentsByState = AGENT_STATES.map((state) =>
      fleet(FLEET_METRICS.AgentsByState, { State: state }, MINUTE, state),
    );
    const hires = fleet(FLEET_METRICS.Hires, {}, MINUTE, 'hires');
    const retirements = fleet(FLEET_METRICS.Retirements, {}, MINUTE, 'retirements');
    const restarts = fleet(FLEET_METRICS.Restarts, {}, FIVE_MINUTES, 'restarts');
    const crashLoops = fleet(FLEET_METRICS.CrashLoops, {}, FIVE_MINUTES, 'crash loops');
    // Sleep and wake (ADR 0019): what the fleet pays for, and how long a wake keeps someone waiting.
    const awakeAgents = fleet(FLEET_METRICS.AwakeAgents, {}, MINUTE, 'awake agents');
    const wakes = fleet(FLEET_METRICS.Wakes, {}, FIVE_MINUTES, 'wakes');
    const wakeLatency = fleet(FLEET_METRICS.WakeLatency, {}, FIVE_MINUTES, 'wake latency (p90)');

    // --- cascades: per step, and end to end against the target --------------------------------
    const targetMs = props.cascadeLatencyTarget.toMilliseconds();
    const cascadeWidget = (cascade: Cascade) =>
      new cloudwatch.GraphWidget({
        title: `${cascade === 'hire' ? 'Hire' : 'Retirement'} cascade: time to each step (p90)`,
        left: [
          ...CASCADE_STEPS[cascade].map((step) =>
            fleet(FLEET_METRICS.CascadeStepLatency, { Cascade: cascade, Step: step }, FIVE_MINUTES, step),
          ),
          fleet(FLEET_METRICS.CascadeLatency, { Cascade: cascade }, FIVE_MINUTES, 'whole cascade'),
        ],
        leftAnnotations: [{ value: targetMs, label: 'target', color: cloudwatch.Color.RED }],
        leftYAxis: { label: 'ms', showUnits: false, min: 0 },
        width: 12,
      });
    for (const cascade of CASCADES) {
      alarm(
        `${cascade}-cascade-slow`,
        `p90 time from the start of a ${cascade} cascade to its end is over ${props.cascadeLatencyTarget.toHumanString()} for 15 minutes.`,
        {
          metric: fleet(FLEET_METRICS.CascadeLatency, { Cascade: cascade }, FIVE_MINUTES),
          threshold: targetMs,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      );
    }
    alarm('agents-crash-looping', 'At least one agent is crash-looping: health stopped restarting it.', {
      metric: fleet(FLEET_METRICS.AgentsByState, { State: 'crash-looping' }, MINUTE),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // Every alarm above is quiet when health is silent, so silence is an alarm of its own.
    alarm('fleet-metrics-missing', 'The health service has published no agent counts for 10 minutes.', {
      metric: fleet(FLEET_METRICS.AgentsByState, { State: 'running' }, MINUTE).with({
        statistic: 'SampleCount',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 10,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    // --- queues: dead letters (any is an alarm) and backlog ---------------------------------
    const deadLetters = SERVICE_NAMES.map((service) => {
      const metric = props.queues[service].deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: MINUTE,
        statistic: 'Maximum',
        label: service,
      });
      alarm(`${service}-dead-letters`, `The ${service} DLQ holds messages: events it could not handle.`, {
        metric: metric.with({ period: FIVE_MINUTES }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      return metric;
    });
    const backlog = SERVICE_NAMES.map((service) =>
      props.queues[service].queue.metricApproximateNumberOfMessagesVisible({
        period: MINUTE,
        statistic: 'Maximum',
        label: service,
      }),
    );

    // --- services: CPU, memory, running vs desired ------------------------------------------
    const serviceEntries = Object.entries(props.services);
    const serviceCpu = serviceEntries.map(([name, service]) =>
      service.metricCpuUtilization({ period: MINUTE, statistic: 'Average', label: name }),
    );
    const serviceMemory = serviceEntries.map(([name, service]) =>
      service.metricMemoryUtilization({ period: MINUTE, statistic: 'Average', label: name }),
    );
    const running = serviceEntries.map(([name, service]) =>
      insights(props.cluster, 'RunningTaskCount', { ServiceName: service.serviceName }, 'Average', name),
    );
    for (const [name, service] of serviceEntries) {
      const dimensions = { ServiceName: service.serviceName };
      alarm(`${name}-unhealthy`, `The ${name} service has run fewer tasks than it wants for 5 minutes.`, {
        metric: new cloudwatch.MathExpression({
          expression: 'desired - running',
          usingMetrics: {
            desired: insights(props.cluster, 'DesiredTaskCount', dimensions, 'Average', 'desired'),
            running: insights(props.cluster, 'RunningTaskCount', dimensions, 'Average', 'running'),
          },
          period: MINUTE,
          label: `${name}: tasks missing`,
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 5,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    for (const [name, targetGroup] of Object.entries(props.targetGroups)) {
      alarm(`${name}-targets-unhealthy`, `A ${name} task behind the load balancer fails its health check.`, {
        metric: targetGroup.metrics.unhealthyHostCount({ period: MINUTE, statistic: 'Maximum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    // --- agent tasks: the agents' cluster holds nothing else, so its totals are the agents' ----
    // Each agent has a task definition family of its own, so "the busiest agent" is the maximum
    // over the cluster's families.
    const agentClusterName = props.agentCluster.clusterName;
    const agentTasks = insights(props.agentCluster, 'TaskCount', {}, 'Average', 'agent tasks');
    const perAgent = (metricName: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: 'total / tasks',
        usingMetrics: {
          total: insights(props.agentCluster, metricName, {}, 'Average', 'total'),
          tasks: agentTasks,
        },
        period: MINUTE,
        label,
      });
    const busiestAgent = (metricName: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: `MAX(SEARCH('{${CONTAINER_INSIGHTS},ClusterName,TaskDefinitionFamily} MetricName="${metricName}" ClusterName="${agentClusterName}"', 'Average', 60))`,
        usingMetrics: {},
        period: MINUTE,
        label,
      });

    // --- model spend (the model gateway, ADR 0017) -------------------------------------------
    const modelCalls = CALL_OUTCOMES.map((outcome) =>
      fleet(FLEET_METRICS.ModelCalls, { Outcome: outcome }, FIVE_MINUTES, outcome),
    );
    const modelTokens = TOKEN_DIRECTIONS.map((direction) =>
      fleet(FLEET_METRICS.ModelTokens, { Direction: direction }, FIVE_MINUTES, direction),
    );
    const modelCost = fleet(FLEET_METRICS.ModelCost, {}, Duration.hours(1), 'USD per hour');
    // Departments are the org's own names, unknown at synth: the dashboard searches for them.
    const byDepartment = (metric: FleetMetric, label: string, extra = '') =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},${metric.dimensions.join(',')}} MetricName="${metric.name}" Environment="${routing.environment}"${extra}', '${metric.statistic}', 3600)`,
        label,
        period: Duration.hours(1),
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${routing.prefix}-fleet`,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown: `# Open-Claw-Fleet · ${routing.environment}\nFleet metrics: namespace \`${METRICS_NAMESPACE}\`, published by the health service. Alarms go to the topic \`${routing.prefix}-alarms\`.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Agents by state',
            left: agentsByState,
            stacked: true,
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Hires and retirements per minute',
            left: [hires, retirements],
            width: 6,
          }),
          new cloudwatch.GraphWidget({
            title: 'Restarts and crash loops (per 5 minutes)',
            left: [restarts, crashLoops],
            width: 6,
          }),
        ],
        [cascadeWidget('hire'), cascadeWidget('retire')],
        [
          new cloudwatch.GraphWidget({ title: 'Awake agents', left: [awakeAgents], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Wakes (per 5 minutes)', left: [wakes], width: 8 }),
          new cloudwatch.GraphWidget({
            title: 'Wake latency: message to a running agent (p90)',
            left: [wakeLatency],
            leftYAxis: { label: 'ms', showUnits: false, min: 0 },
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Dead letters per queue', left: deadLetters, width: 12 }),
          new cloudwatch.GraphWidget({ title: 'Queue backlog per service', left: backlog, width: 12 }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Service CPU (%)',
            left: serviceCpu,
            leftYAxis: { min: 0, max: 100 },
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Service memory (%)',
            left: serviceMemory,
            leftYAxis: { min: 0, max: 100 },
            width: 8,
          }),
          new cloudwatch.GraphWidget({ title: 'Service tasks running', left: running, width: 8 }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Agent tasks: CPU (units)',
            left: [perAgent('CpuUtilized', 'per agent'), busiestAgent('CpuUtilized', 'busiest agent')],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Agent tasks: memory (MiB)',
            left: [perAgent('MemoryUtilized', 'per agent'), busiestAgent('MemoryUtilized', 'largest agent')],
            width: 8,
          }),
          new cloudwatch.GraphWidget({ title: 'Agent tasks running', left: [agentTasks], width: 8 }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Model calls by outcome (per 5 minutes)',
            left: modelCalls,
            stacked: true,
            width: 8,
          }),
          new cloudwatch.GraphWidget({ title: 'Model tokens (per 5 minutes)', left: modelTokens, width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Model cost (USD per hour)', left: [modelCost], width: 8 }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Model cost by department (USD per hour)',
            left: [byDepartment(FLEET_METRICS.ModelCostByDepartment, 'cost')],
            stacked: true,
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Model tokens by department (per hour)',
            left: [byDepartment(FLEET_METRICS.ModelTokensByDepartment, 'tokens')],
            width: 12,
          }),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 })],
      ],
    });
  }

  private alarmTopic(props: ObservabilityProps): sns.Topic {
    const topic = new sns.Topic(this, 'Alarms', {
      topicName: `${props.routing.prefix}-alarms`,
      masterKey: props.key,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one, so CloudWatch needs its own grant: alarms of
    // this account only.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`,
          },
        },
      }),
    );
    // ...and to encrypt what it publishes with the topic's key.
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsToTheEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    if (props.alarmEmail !== undefined) {
      topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    return topic;
  }
}
