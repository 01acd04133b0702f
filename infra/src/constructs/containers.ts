import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';

/** A Fargate task size. */
export interface TaskSize {
  /** CPU units: 256 = 0.25 vCPU. */
  readonly cpu: number;
  readonly memoryMiB: number;
}

/** Fargate's cheaper architecture; every image of the fleet is built for it. */
export const ARM64_LINUX: ecs.RuntimePlatform = {
  cpuArchitecture: ecs.CpuArchitecture.ARM64,
  operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
};

/**
 * What every container of the fleet runs with: a non-root user, a read-only root filesystem, no
 * Linux capabilities at all, and an init process that reaps children and forwards SIGTERM.
 */
export function hardened(
  scope: Construct,
  id: string,
  user: string,
): Pick<ecs.ContainerDefinitionOptions, 'user' | 'readonlyRootFilesystem' | 'linuxParameters'> {
  const linuxParameters = new ecs.LinuxParameters(scope, id, { initProcessEnabled: true });
  linuxParameters.dropCapabilities(ecs.Capability.ALL);
  return { user, readonlyRootFilesystem: true, linuxParameters };
}

/**
 * Where and how every Fargate service of the fleet runs: in the private subnets, no public
 * address, behind its own security group, tags passed to its tasks, and a deployment that rolls
 * back by itself when new tasks keep failing. `exclusive` for a process that must never run twice
 * at once (Synapse on its database): the old task stops before the new one starts.
 */
export function privateService(
  subnets: ec2.SubnetSelection,
  securityGroup: ec2.ISecurityGroup,
  options: { readonly exclusive?: boolean } = {},
): Pick<
  ecs.FargateServiceProps,
  | 'minHealthyPercent'
  | 'maxHealthyPercent'
  | 'circuitBreaker'
  | 'vpcSubnets'
  | 'securityGroups'
  | 'assignPublicIp'
  | 'propagateTags'
> {
  return {
    minHealthyPercent: options.exclusive === true ? 0 : 100,
    maxHealthyPercent: options.exclusive === true ? 100 : 200,
    circuitBreaker: { rollback: true },
    vpcSubnets: subnets,
    securityGroups: [securityGroup],
    assignPublicIp: false,
    propagateTags: ecs.PropagatedTagSource.SERVICE,
  };
}

/**
 * A container health check that needs nothing but Node (the Node images have no curl). With
 * `tls`, over HTTPS to the service's own self-signed certificate (HTTP_TLS=self-signed, ADR 0027).
 */
export function healthProbe(port: number, path: string, options: { tls?: boolean } = {}): string {
  if (options.tls === true) {
    return `import('node:https').then(({ get }) => get({ host: '127.0.0.1', port: ${port}, path: '${path}', rejectUnauthorized: false }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1)))`;
  }
  return `fetch('http://127.0.0.1:${port}${path}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`;
}
