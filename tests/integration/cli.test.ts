import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { applyRouting, fleetRouting, producerSource } from '@ocf/routing';
import { awsClients, uniqueEnvironment, waitFor } from '../support/aws.ts';
import { runServiceScript, startServiceProcess, type RunningServiceProcess } from '../support/services.ts';
import { fleetQuiet } from '../support/signals.ts';
import { linesOf, ocf, spawnOcf } from '../support/ocf.ts';

// Every `ocf` command, run as its own process against the real directory on moto: what it
// prints for people, what it prints for scripts (--json), and the exit code it ends with.
describe('ocf against the directory on moto', () => {
  const clients = awsClients();
  const routing = fleetRouting(uniqueEnvironment('cli'));
  const env = { OCF_ENV: routing.environment, DIRECTORY_OUTBOX_SWEEP_MS: '1000' };
  let service: RunningServiceProcess;
  let writeToken: string;
  let readToken: string;
  let as: Record<string, string>;

  before(async () => {
    await applyRouting(routing, clients);
    writeToken = await runServiceScript('directory', 'create-token.ts', ['--name', 'cli'], env);
    readToken = await runServiceScript(
      'directory',
      'create-token.ts',
      ['--name', 'cli-read', '--scope', 'read'],
      env,
    );
    service = await startServiceProcess('directory', env);
    as = { OCF_DIRECTORY_URL: service.url, OCF_TOKEN: writeToken };
  });

  after(async () => {
    assert.equal(await service.stop(), 0);
  });

  const grace = [
    '--id',
    'grace-hopper',
    '--name',
    'Grace Hopper',
    '--title',
    'VP Engineering',
    '--level',
    'vp',
    '--department',
    'Engineering',
    '--manager',
    'ceo',
  ];

  it('hire: from flags, the same again is no change, a taken id is refused (exit 4)', async () => {
    const hired = await ocf(['hire', ...grace], as);
    assert.equal(hired.code, 0, hired.stderr);
    assert.match(hired.stdout, /^hired grace-hopper \(hired\); follow it with: ocf status grace-hopper\n$/);
    const again = await ocf(['hire', ...grace], as);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already hired/);
    const taken = await ocf(['hire', ...grace.map((a) => (a === 'VP Engineering' ? 'VP Sales' : a))], as);
    assert.equal(taken.code, 4);
    assert.match(taken.stderr, /already taken by Grace Hopper/);
  });

  it('hire: from a YAML file, --json for scripts', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ocf-hire-'));
    const file = path.join(dir, 'ada.yaml');
    await writeFile(
      file,
      'agentId: ada-lovelace\nname: Ada Lovelace\ntitle: Staff Engineer\nlevel: ic\ndepartment: Engineering\nteam: Platform\nmanager: grace-hopper\n',
    );
    const hired = await ocf(['--json', 'hire', '--file', file], as);
    assert.equal(hired.code, 0, hired.stderr);
    assert.deepEqual(JSON.parse(hired.stdout), {
      agentId: 'ada-lovelace',
      status: 'hired',
      statusUrl: '/v1/agents/ada-lovelace',
      created: true,
    });
    const invalid = await ocf(
      [
        'hire',
        '--name',
        'Xavier Nobody',
        '--title',
        'Y',
        '--level',
        'ic',
        '--department',
        'D',
        '--manager',
        'nobody-at-all',
      ],
      as,
    );
    assert.equal(invalid.code, 4);
    assert.match(invalid.stderr, /no active agent "nobody-at-all"/);
  });

  it('ls: a table for people, JSON for scripts, the API filters', async () => {
    const table = await ocf(['ls'], as);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ID\s+NAME\s+TITLE\s+LEVEL\s+DEPARTMENT\s+TEAM\s+MANAGER\s+STATUS$/);
    assert.equal(lines.length, 3);
    const filtered = await ocf(['--json', 'ls', '--level', 'ic', '--department', 'Engineering'], as);
    assert.deepEqual(
      (JSON.parse(filtered.stdout) as { agentId: string }[]).map((a) => a.agentId),
      ['ada-lovelace'],
    );
    const reports = await ocf(['--json', 'ls', '--manager', 'grace-hopper'], as);
    assert.deepEqual(
      (JSON.parse(reports.stdout) as { agentId: string }[]).map((a) => a.agentId),
      ['ada-lovelace'],
    );
    const limited = await ocf(['--json', 'ls', '--limit', '1'], as);
    assert.equal((JSON.parse(limited.stdout) as unknown[]).length, 1);
  });

  it('status: every cascade step with its time; an unknown agent exits 3', async () => {
    const at = new Date().toISOString();
    await clients.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: routing.busName,
            Source: producerSource('credentials'),
            DetailType: 'CredentialsIssued',
            Detail: JSON.stringify({
              metadata: { eventId: 'cli-creds-1', correlationId: 'c', occurredAt: at, schemaVersion: 1 },
              data: {
                agentId: 'ada-lovelace',
                secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ada',
                restored: false,
              },
            }),
          },
          {
            EventBusName: routing.busName,
            Source: producerSource('health'),
            DetailType: 'AgentRunning',
            Detail: JSON.stringify({
              metadata: { eventId: 'cli-running-1', correlationId: 'c', occurredAt: at, schemaVersion: 1 },
              data: {
                agentId: 'ada-lovelace',
                taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/fleet/0123abcd',
              },
            }),
          },
        ],
      }),
    );
    await waitFor('the cascade events projected', async () => {
      const { stdout } = await ocf(['--json', 'status', 'ada-lovelace'], as);
      const agent = JSON.parse(stdout) as { steps: { step: string; state: string }[] };
      return agent.steps.filter((s) => s.state === 'done').length === 2 ? true : undefined;
    });
    const status = await ocf(['status', 'ada-lovelace'], as);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^ada-lovelace {2}Ada Lovelace, Staff Engineer$/m);
    assert.match(status.stdout, new RegExp(`hire\\s+credentials\\s+done\\s+${at.replace(/\./g, '\\.')}`));
    assert.match(status.stdout, /hire\s+chat-account\s+pending\s+-/);
    assert.match(status.stdout, /hire\s+task\s+done\s+\S+\s+arn:aws:ecs/);
    const missing = await ocf(['status', 'no-such-agent'], as);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /no agent "no-such-agent"/);
  });

  it("logs: the CloudWatch Logs stream of the agent's task", async () => {
    const logs = new CloudWatchLogsClient({});
    const logGroupName = `/ocf/${routing.environment}/agents`;
    await logs.send(new CreateLogGroupCommand({ logGroupName }));
    await logs.send(new CreateLogStreamCommand({ logGroupName, logStreamName: 'agent/agent/0123abcd' }));
    const now = Date.now();
    await logs.send(
      new PutLogEventsCommand({
        logGroupName,
        logStreamName: 'agent/agent/0123abcd',
        logEvents: [
          { timestamp: now, message: 'agent started' },
          { timestamp: now + 1, message: 'hello \u001b]52;c;cGF5bG9hZA==\u0007 world' },
        ],
      }),
    );
    const read = await ocf(['logs', 'ada-lovelace', '--env', routing.environment], as);
    assert.equal(read.code, 0, read.stderr);
    assert.match(read.stdout, /agent started/);
    // An OSC 52 clipboard write in a log line is shown, not obeyed.
    assert.match(read.stdout, /hello \\x1b\]52;c;cGF5bG9hZA==\\x07 world/);
    assert.ok(!read.stdout.includes('\u001b'));
    const noTask = await ocf(['logs', 'grace-hopper', '--env', routing.environment], as);
    assert.equal(noTask.code, 3);
    assert.match(noTask.stderr, /no task to read logs from/);
  });

  it("logs: the agent's own file on a local fleet, found without any setting", async () => {
    // A local fleet as `pnpm fleet up` leaves it: fleet.json with the directory's port, the token.
    const stackDir = await mkdtemp(path.join(tmpdir(), 'ocf-fleet-'));
    const fleetDir = path.join(stackDir, '.local-stack', 'fleet', 'local');
    const agentDir = path.join(stackDir, '.local-stack', 'agents', 'local', 'ada-lovelace');
    await mkdir(fleetDir, { recursive: true });
    await mkdir(agentDir, { recursive: true });
    await writeFile(
      path.join(fleetDir, 'fleet.json'),
      JSON.stringify({ services: { directory: { port: Number(new URL(service.url).port) } } }),
    );
    await writeFile(path.join(fleetDir, 'api-token'), `${writeToken}\n`);
    await writeFile(path.join(agentDir, 'stdout.log'), 'one\ntwo\nthree \u001b[2J\n');
    const cwd = path.join(stackDir, 'sub');
    await mkdir(cwd);
    const read = await ocf(['logs', 'ada-lovelace', '--tail', '2'], {}, cwd);
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout, 'two\nthree \\x1b[2J\n');
    // The same fleet answers ls, with its own token.
    const ls = await ocf(['--json', 'ls'], {}, cwd);
    assert.equal(ls.code, 0, ls.stderr);
    assert.equal((JSON.parse(ls.stdout) as unknown[]).length, 2);
  });

  it('watch: everyone, synced, then each change as it happens, until Ctrl-C (exit 0)', async () => {
    const watcher = spawnOcf(['--json', 'watch'], as);
    const lines = linesOf(watcher);
    const exited = new Promise<number | null>((done) => watcher.once('exit', done));
    const parsed = () =>
      lines.map((line) => JSON.parse(line) as { event: string; agent?: { agentId: string; status: string } });
    await waitFor('synced', () => (parsed().some((l) => l.event === 'synced') ? true : undefined));
    assert.deepEqual(
      parsed()
        .filter((l) => l.event === 'agent')
        .map((l) => l.agent?.agentId)
        .sort(),
      ['ada-lovelace', 'grace-hopper'],
    );
    const hired = await ocf(
      [
        'hire',
        '--name',
        'Linus Watch',
        '--title',
        'Engineer',
        '--level',
        'director',
        '--department',
        'Engineering',
        '--manager',
        'grace-hopper',
      ],
      as,
    );
    assert.equal(hired.code, 0, hired.stderr);
    await waitFor('the new hire on the watch', () =>
      parsed().some((l) => l.event === 'agent' && l.agent?.agentId === 'linus-watch') ? true : undefined,
    );
    watcher.kill('SIGINT');
    assert.equal(await exited, 0);
  });

  it('sleep and wake: requested of the directory; an unknown agent exits 3', async () => {
    const slept = await ocf(['sleep', 'ada-lovelace'], as);
    assert.equal(slept.code, 0, slept.stderr);
    assert.equal(slept.stdout, 'ada-lovelace: sleep requested; follow it with: ocf status ada-lovelace\n');
    const woken = await ocf(['--json', 'wake', 'ada-lovelace'], as);
    assert.equal(woken.code, 0, woken.stderr);
    assert.deepEqual(JSON.parse(woken.stdout), { agentId: 'ada-lovelace', wake: 'requested' });
    const unknown = await ocf(['sleep', 'no-such-agent'], as);
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /no active agent "no-such-agent"/);
    const reader = await ocf(['wake', 'ada-lovelace'], {
      OCF_DIRECTORY_URL: service.url,
      OCF_TOKEN: readToken,
    });
    assert.equal(reader.code, 5, 'waking needs the write scope');
  });

  it('budget: shows the budget and spend, --set changes it (and none removes it), a bad amount exits 2', async () => {
    const before = await ocf(['budget', 'ada-lovelace'], as);
    assert.equal(before.code, 0, before.stderr);
    assert.match(before.stdout, /budget {6}none of its own/);
    assert.match(before.stdout, /spent {7}0\.00 USD/);
    const set = await ocf(['budget', 'ada-lovelace', '--set', '42.5'], as);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /budget {6}42\.50 USD a month/);
    const read = await ocf(['--json', 'budget', 'ada-lovelace'], as);
    assert.equal((JSON.parse(read.stdout) as { monthlyBudgetUsd: unknown }).monthlyBudgetUsd, 42.5);
    const status = await ocf(['status', 'ada-lovelace'], as);
    assert.match(status.stdout, /budget {6}42\.50 USD a month, spent 0\.00 USD \(ok\)/);
    const cleared = await ocf(['--json', 'budget', 'ada-lovelace', '--set', 'none'], as);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.equal((JSON.parse(cleared.stdout) as { monthlyBudgetUsd: unknown }).monthlyBudgetUsd, null);
    const bad = await ocf(['budget', 'ada-lovelace', '--set', '-3'], as);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a budget/);
  });

  it('rotate and retire', async () => {
    const rotated = await ocf(['rotate', 'ada-lovelace', '--reason', 'scheduled'], as);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, /ada-lovelace: credential rotation requested/);
    const refused = await ocf(['retire', 'grace-hopper'], as);
    assert.equal(refused.code, 4);
    assert.match(refused.stderr, /still manages/);
    const retired = await ocf(['--json', 'retire', 'linus-watch', '--reason', 'test'], as);
    assert.equal(retired.code, 0, retired.stderr);
    assert.match((JSON.parse(retired.stdout) as { status: string }).status, /^retir(ing|ed)$/);
  });

  it('a read token may read but not change (exit 5), no token is refused (exit 5)', async () => {
    const reader = { OCF_DIRECTORY_URL: service.url, OCF_TOKEN: readToken };
    assert.equal((await ocf(['ls'], reader)).code, 0);
    const write = await ocf(['retire', 'ada-lovelace'], reader);
    assert.equal(write.code, 5);
    assert.match(write.stderr, /scope/);
    assert.equal((await ocf(['ls'], { OCF_DIRECTORY_URL: service.url })).code, 5);
    // The token never shows up in what ocf prints.
    assert.doesNotMatch(write.stderr + write.stdout, new RegExp(readToken));
  });

  it('org export, plan and apply: the org round-trips, an invalid file is refused by line (exit 4)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ocf-org-'));
    const file = path.join(dir, 'org.yaml');
    const exported = await ocf(['org', 'export', '--output', file], as);
    assert.equal(exported.code, 0, exported.stderr);
    const plan = await ocf(['org', 'plan', file, '--prune'], as);
    assert.equal(plan.code, 0, plan.stderr);
    assert.equal(plan.stdout, 'No changes: the org matches the file.\n');

    const json = await ocf(['--json', 'org', 'export'], as);
    const org = JSON.parse(json.stdout) as { people: Record<string, unknown>[] };
    org.people.push({
      id: 'new-person',
      name: 'New Person',
      title: 'Engineer',
      level: 'ic',
      department: 'Engineering',
      team: 'Platform',
      manager: 'grace-hopper',
    });
    const jsonFile = path.join(dir, 'org.json');
    await writeFile(jsonFile, JSON.stringify(org, null, 2));
    const planned = await ocf(['org', 'plan', jsonFile], as);
    assert.equal(planned.code, 0, planned.stderr);
    assert.match(planned.stdout, /^Plan: 1 to hire, 0 to update, 0 to retire \(2 unchanged\)\.$/m);
    assert.match(
      planned.stdout,
      /\+ hire\s+new-person: New Person, Engineer \(ic, Engineering \/ Platform\) -> grace-hopper/,
    );
    const applied = await ocf(['org', 'apply', jsonFile], as);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /^Applied: 1 hired, 0 updated, 0 retiring\.$/m);
    assert.match(applied.stderr, /applying: 1\/1/);

    // Each person's settings: the plan names them, apply converges them, the export carries them.
    const newPerson = org.people.find((p) => p['id'] === 'new-person');
    assert.ok(newPerson !== undefined);
    Object.assign(newPerson, { wakePolicy: 'on-demand', idleTimeoutSeconds: 900, monthlyBudgetUsd: 15 });
    await writeFile(jsonFile, JSON.stringify(org, null, 2));
    const settingsPlan = await ocf(['org', 'plan', jsonFile], as);
    assert.equal(settingsPlan.code, 0, settingsPlan.stderr);
    assert.match(settingsPlan.stdout, /^Plan: 0 to hire, 1 to update, 0 to retire \(2 unchanged\)\.$/m);
    assert.match(
      settingsPlan.stdout,
      /~ wake, budget new-person: wakePolicy: - -> on-demand; idleTimeoutSeconds: - -> 900; monthlyBudgetUsd: - -> 15/,
    );
    const settingsApplied = await ocf(['org', 'apply', jsonFile], as);
    assert.equal(settingsApplied.code, 0, settingsApplied.stderr);
    assert.match(settingsApplied.stdout, /^Applied: 0 hired, 1 updated, 0 retiring\.$/m);
    const budget = await ocf(['--json', 'budget', 'new-person'], as);
    assert.equal((JSON.parse(budget.stdout) as { monthlyBudgetUsd: number }).monthlyBudgetUsd, 15);
    const again = await ocf(['org', 'plan', jsonFile], as);
    assert.equal(again.stdout, 'No changes: the org matches the file.\n');
    const exportedAgain = JSON.parse((await ocf(['--json', 'org', 'export'], as)).stdout) as {
      people: Record<string, unknown>[];
    };
    assert.deepEqual(
      exportedAgain.people.find((p) => p['id'] === 'new-person'),
      newPerson,
    );

    const invalid = path.join(dir, 'invalid.yaml');
    await writeFile(
      invalid,
      [
        'version: 1',
        'departments:',
        '  - name: Engineering',
        'people:',
        '  - id: boss',
        '    name: Boss',
        '    title: VP',
        '    level: vp',
        '    department: Engineering',
        '    manager: nobody-known',
        '  - id: boss',
        '    name: "Bell \\a"',
        '    title: IC',
        '    level: ic',
        '    department: Engineering',
        '    manager: boss',
      ].join('\n'),
    );
    const refused = await ocf(['org', 'apply', invalid], as);
    assert.equal(refused.code, 4);
    assert.match(
      refused.stderr,
      /invalid\.yaml:10: people\[0\]\.manager: "nobody-known" is neither a person in this file nor "ceo"/,
    );
    assert.match(
      refused.stderr,
      /invalid\.yaml:11: people\[1\]\.id: "boss" is already the id of people\[0\]/,
    );
    assert.match(refused.stderr, /invalid\.yaml:12: people\[1\]\.name: must not contain control characters/);
    assert.match(refused.stderr, /nothing was changed/);
    await fleetQuiet(clients.sqs, routing, ['directory']);
    const after = await ocf(['--json', 'ls', '--status', 'hired'], as);
    assert.ok(!(JSON.parse(after.stdout) as { agentId: string }[]).some((a) => a.agentId === 'boss'));
  });
});
