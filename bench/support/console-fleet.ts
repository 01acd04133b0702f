import { consoleAssetsDir } from '@ocf/console';
import { createEvent, type EventDataInput, type EventType } from '@ocf/events';
import { sampleCompany } from '../../services/directory/src/sample/sample-company.ts';
import { testDirectory } from '../../services/directory/test/helpers.ts';

/**
 * The directory's real app (REST, watch stream, console) in this process over its in-memory
 * adapters, with the sample company hired and its cascade played forward the way the services
 * report it: most agents running (some restarted once, some woken by a mention), some asleep,
 * some on their way, a few failed or crash-looping.
 * What the console benchmark and the screenshots look at; the browser is the thing measured.
 */
export async function startConsoleFleet({
  size,
  seed = 1,
}: {
  readonly size: number;
  readonly seed?: number;
}) {
  const fleet = await testDirectory({ watch: true, console: { assetsDir: consoleAssetsDir } });
  const company = sampleCompany({ seed, size });
  const imported = await fleet.app.inject({
    method: 'POST',
    url: '/v1/org/import',
    headers: fleet.auth,
    payload: { agents: company },
  });
  if (imported.statusCode !== 200) throw new Error(`import: ${imported.statusCode} ${imported.body}`);
  const start = Date.now() - 3_600_000;
  let second = 0;
  const project = async <T extends EventType>(type: T, source: string, data: EventDataInput<T>) => {
    const event = createEvent(type, data, { now: new Date(start + ++second * 1000) });
    await fleet.directory.project({ ...event, source } as never);
  };
  for (const [index, agent] of company.entries()) {
    const { agentId } = agent;
    const taskArn = `arn:aws:ecs:us-east-1:123456789012:task/fleet/${agentId}`;
    const roll = index % 100;
    if (roll === 97) {
      await project('CascadeStepFailed', 'ocf.credentials', {
        agentId,
        step: 'credentials',
        reason: 'Secrets Manager refused the write: AccessDeniedException',
      });
      continue;
    }
    if (roll === 98) continue; // just hired
    await project('CredentialsIssued', 'ocf.credentials', {
      agentId,
      secretArn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${agentId}`,
      restored: false,
    });
    await project('ChatAccountReady', 'ocf.bridge', {
      agentId,
      matrixUserId: `@agent-${agentId}:fleet.local`,
    });
    await project('AgentLaunching', 'ocf.provisioning', { agentId, taskArn });
    if (roll === 96) continue; // launching
    await project('AgentRunning', 'ocf.health', { agentId, taskArn });
    if (roll % 3 === 1) {
      // Restarted once by health after a crash, and running again.
      await project('AgentRestartRequested', 'ocf.health', {
        agentId,
        attempt: 1,
        notBefore: new Date(start + (second + 1) * 1000).toISOString(),
        reason: 'Task stopped: exit code 1',
      });
      await project('AgentRunning', 'ocf.health', { agentId, taskArn });
    }
    if (roll % 3 === 2) {
      // Woken by a mention after a sleep.
      const seenAt = new Date(start + (second + 1) * 1000).toISOString();
      await project('AgentWakeRequested', 'ocf.bridge', { agentId, reason: 'mention', seenAt });
      await project('AgentAwake', 'ocf.provisioning', { agentId, taskArn, wakeSeenAt: seenAt });
      await project('AgentRunning', 'ocf.health', { agentId, taskArn });
    }
    if (roll === 99)
      await project('AgentCrashLooping', 'ocf.health', {
        agentId,
        failures: 5,
        windowSeconds: 600,
        lastReason: 'exited with code 1: the gateway did not start',
      });
    else if (roll % 7 === 3)
      await project('AgentAsleep', 'ocf.provisioning', { agentId, taskArn, reason: 'idle' });
  }
  const url = await fleet.app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    token: fleet.auth.authorization.replace(/^Bearer /, ''),
    company,
    directory: fleet.directory,
    close: () => fleet.app.close(),
  };
}
