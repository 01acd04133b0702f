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
 * A container health check that needs nothing but Node (the Node images have no curl). With
 * `tls`, over HTTPS to the service's own self-signed certificate (HTTP_TLS=self-signed, ADR 0027).
 */
export function healthProbe(port: number, path: string, options: { tls?: boolean } = {}): string {
  if (options.tls === true) {
    return `import('node:https').then(({ get }) => get({ host: '127.0.0.1', port: ${port}, path: '${path}', rejectUnauthorized: false }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1)))`;
  }
  return `fetch('http://127.0.0.1:${port}${path}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`;
}
