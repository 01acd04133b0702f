import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SERVICE_NAMES, type ServiceName } from '@ocf/routing';
import { waitFor } from '../support/aws.ts';

/**
 * What the fault tests share: a seeded random source (the seed is printed, OCF_FAULT_SEED replays
 * a run), a REST caller that keeps trying while the directory is down, and the fleet settings
 * that make its resync loops turn faster than a person's fleet (outcomes, not times, are asserted).
 */

/** mulberry32: small, fast, and the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function faultSeed(): number {
  const given = process.env['OCF_FAULT_SEED'];
  return given === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(given);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fisher-Yates with the given random source. */
export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * A REST call as an operator's script makes it while a service may be restarting: a refused
 * connection or a 5xx is tried again; the call is idempotent (the same hire, the same retire).
 */
export async function persistently(what: string, call: () => Promise<Response>): Promise<Response> {
  return waitFor(
    what,
    async () => {
      try {
        const response = await call();
        return response.status >= 500 ? undefined : response;
      } catch {
        return undefined;
      }
    },
    { timeoutMs: 120_000, intervalMs: 250 },
  );
}

/**
 * `--service-env` for a fleet under faults: resyncs and sweeps every few seconds instead of every
 * 15-30, so what a fault left half done is picked up within the test, and `everyService` (the
 * fault proxy as AWS_ENDPOINT_URL) for every service of the fleet. Returns the file's path.
 */
export async function fastResyncServiceEnv(
  environment: string,
  everyService: Readonly<Record<string, string>> = {},
): Promise<string> {
  const own: Partial<Record<ServiceName, Record<string, string>>> = {
    directory: {
      DIRECTORY_OUTBOX_SWEEP_MS: '2000',
      DIRECTORY_RESYNC_INTERVAL_MS: '2000',
      DIRECTORY_RESYNC_STALLED_MS: '10000',
      DIRECTORY_RESYNC_MAX_WAIT_MS: '40000',
    },
    bridge: { BRIDGE_SWEEP_INTERVAL_MS: '3000' },
    provisioning: { PROVISIONING_RESYNC_MS: '3000' },
    health: { HEALTH_POLL_MS: '2000' },
  };
  const file = path.join(tmpdir(), `ocf-${environment}-service-env.json`);
  await writeFile(
    file,
    JSON.stringify(
      Object.fromEntries(SERVICE_NAMES.map((service) => [service, { ...everyService, ...own[service] }])),
    ),
  );
  return file;
}

/** A hire body for the REST API: the agent id is the name's slug (`Kill Ab` -> `kill-ab`). */
export function hireBody(name: string): Record<string, string> {
  return { name, title: 'Engineer', level: 'ic', department: 'Engineering', manager: 'ceo' };
}

/** `count` distinct two-word names starting with `label`, and their agent ids. */
export function names(label: string, count: number): { name: string; agentId: string }[] {
  return Array.from({ length: count }, (_, i) => {
    const suffix = `${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`;
    return { name: `${label} ${suffix}`, agentId: `${label.toLowerCase()}-${suffix}` };
  });
}
