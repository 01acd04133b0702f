// Benchmark: what each kind of homeserver operation the bridge makes costs Synapse in CPU,
// background work included (event persistence, pushes to the application service, notifier...),
// which its access log's per-request figure leaves out. Each step runs K times against the local
// stack's Synapse and is followed by a settle period; the step's cost is the growth of Synapse's
// utime + stime (/proc) over it, divided by K.
//
//   source scripts/toolchain.sh && eval "$(pnpm -s stack env)" && node bench/homeserver-ops.ts [--k 40] [--room-size 100]
//
// Needs the local stack up (`pnpm stack up`); answers Synapse's pushes to the bridge itself on the
// stack's application-service port, so no bridge may be running on it. Prints a table; asserts
// nothing and writes no docs.
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    k: { type: 'string', default: '40' },
    'room-size': { type: 'string', default: '100' },
    'settle-ms': { type: 'string', default: '3000' },
    // Only the steps whose name contains this (the big room is made either way).
    only: { type: 'string', default: '' },
  },
});
const K = Number(values.k);
const roomSize = Number(values['room-size']);
const settleMs = Number(values['settle-ms']);

const stateDir = resolve(process.env['OCF_STACK_DIR'] ?? join(import.meta.dirname, '..', '.local-stack'));
const stack = JSON.parse(readFileSync(join(stateDir, 'stack.json'), 'utf8')) as {
  homeserverUrl: string;
  serverName: string;
  registrationSharedSecret: string;
  appservice: { id: string; asToken: string; senderLocalpart: string; url: string; userPrefix: string };
};
const synapsePid = (JSON.parse(readFileSync(join(stateDir, 'run', 'synapse.pid'), 'utf8')) as { pid: number })
  .pid;
const hs = stack.homeserverUrl;
const run = randomBytes(3).toString('hex');
const agent = (i: number) => `@${stack.appservice.userPrefix}ops${run}-${i}:${stack.serverName}`;
const pushes = { transactions: 0, events: 0 };

// Synapse's pushes to the bridge, answered at once (as the bridge does).
const asPort = Number(new URL(stack.appservice.url).port);
const asServer = http.createServer((request, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
  request.on('end', () => {
    if (request.url?.includes('/transactions/')) {
      pushes.transactions++;
      pushes.events += ((JSON.parse(body || '{}') as { events?: unknown[] }).events ?? []).length;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
await new Promise<void>((r) => asServer.listen(asPort, '127.0.0.1', r));

async function call(
  method: string,
  path: string,
  body?: unknown,
  asUser?: string,
): Promise<Record<string, unknown>> {
  const url = new URL(`${hs}/_matrix/client/v3${path}`);
  if (asUser !== undefined) url.searchParams.set('user_id', asUser);
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${stack.appservice.asToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

function cpuMs(): number {
  const fields = readFileSync(`/proc/${synapsePid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of stat; after "pid (comm) " they are at 11 and 12.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function registerHuman(username: string): Promise<string> {
  const endpoint = `${hs}/_synapse/admin/v1/register`;
  const { nonce } = (await (await fetch(endpoint)).json()) as { nonce: string };
  const password = randomBytes(18).toString('base64url');
  const mac = createHmac('sha1', stack.registrationSharedSecret)
    .update([nonce, username, password, 'notadmin'].join('\0'))
    .digest('hex');
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ nonce, username, password, admin: false, mac }),
  });
  const body = (await response.json()) as { user_id: string };
  return body.user_id;
}

// Synapse backs off from an endpoint it could not reach (nothing listened here before): have it
// call us now, so every step's pushes go out during the step rather than as a backlog later.
const ping = await fetch(
  `${hs}/_matrix/client/v1/appservice/${encodeURIComponent(stack.appservice.id)}/ping`,
  {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.appservice.asToken}`, 'content-type': 'application/json' },
    body: '{}',
  },
);
if (!ping.ok) throw new Error(`Synapse could not reach the application-service port: ${await ping.text()}`);

const results: { step: string; ms: number; pushed: number }[] = [];
async function measure(step: string, work: (i: number) => Promise<void>): Promise<void> {
  if (!step.includes(values.only)) return;
  await new Promise((r) => setTimeout(r, settleMs));
  const before = cpuMs();
  const pushedBefore = pushes.events;
  for (let i = 0; i < K; i++) await work(i);
  await new Promise((r) => setTimeout(r, settleMs));
  results.push({ step, ms: (cpuMs() - before) / K, pushed: (pushes.events - pushedBefore) / K });
  process.stderr.write(`homeserver-ops: ${step} done\n`);
}

const ceo = await registerHuman(`ceo-ops${run}`);
const bot = `@${stack.appservice.senderLocalpart}:${stack.serverName}`;
const designedRoom = (aliasLocalpart: string, invite: string[], extra: Record<string, unknown> = {}) => ({
  room_alias_name: aliasLocalpart,
  room_version: '12',
  preset: 'private_chat',
  visibility: 'private',
  name: aliasLocalpart,
  topic: `The room ${aliasLocalpart}.`,
  invite,
  power_level_content_override: {
    users: { [ceo]: 50 },
    users_default: 0,
    events_default: 0,
    state_default: 100,
    invite: 50,
    kick: 50,
    ban: 50,
    redact: 50,
  },
  creation_content: { 'm.federate': false },
  ...extra,
});

// Agents for the big room and the per-step work, registered first (their cost is its own row).
const agents = Array.from({ length: roomSize + 10 * K }, (_, i) => agent(i));
let next = 0;
const take = () => agents[next++] as string;
await measure('register an agent (inhibit_login)', async () => {
  await call('POST', '/register', {
    type: 'm.login.application_service',
    username: take().slice(1).split(':')[0],
    inhibit_login: true,
  });
});
for (let i = next; i < agents.length; i++) {
  await call('POST', '/register', {
    type: 'm.login.application_service',
    username: (agents[i] as string).slice(1).split(':')[0],
    inhibit_login: true,
  });
}
await measure('set a display name (in no room)', async (i) => {
  await call(
    'PUT',
    `/profile/${encodeURIComponent(agent(i))}/displayname`,
    { displayname: `Agent ${i}` },
    agent(i),
  );
});

// A room of roomSize agents, like #all-employees.
const big = (await call('POST', '/createRoom', designedRoom(`org-ops${run}-big`, [ceo]))).room_id as string;
const bigMembers: string[] = [];
for (let i = 0; i < roomSize; i++) {
  const user = take();
  bigMembers.push(user);
  await call('POST', `/rooms/${encodeURIComponent(big)}/invite`, { user_id: user });
  await call('POST', `/join/${encodeURIComponent(big)}`, {}, user);
}
await measure(`invite + join into a room of ${roomSize}`, async () => {
  const user = take();
  await call('POST', `/rooms/${encodeURIComponent(big)}/invite`, { user_id: user });
  await call('POST', `/join/${encodeURIComponent(big)}`, {}, user);
});
await measure(`send a message into a room of ${roomSize}`, async (i) => {
  await call('PUT', `/rooms/${encodeURIComponent(big)}/send/m.room.message/ops${run}-${i}`, {
    msgtype: 'm.notice',
    body: 'hello',
  });
});
await measure('create a room (as the bridge designs one, nobody invited)', async (i) => {
  await call('POST', '/createRoom', designedRoom(`org-ops${run}-n${i}`, []));
});
await measure('create a room (as the bridge designs one, CEO invited)', async (i) => {
  await call('POST', '/createRoom', designedRoom(`org-ops${run}-a${i}`, [ceo]));
});
await measure('create a room, agent and manager invited in it, both join', async (i) => {
  const [report, manager] = [take(), take()];
  const room = (
    await call('POST', '/createRoom', designedRoom(`org-ops${run}-b${i}`, [ceo, report, manager]))
  ).room_id as string;
  await call('POST', `/join/${encodeURIComponent(room)}`, {}, report);
  await call('POST', `/join/${encodeURIComponent(room)}`, {}, manager);
});
// The manager↔report room as the bridge makes it since issue 17: invite-only by an explicit join
// rule under public_chat (no m.room.guest_access event) and no topic: 12 events instead of 14.
const lean = {
  preset: 'public_chat',
  initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'invite' } }],
  topic: undefined,
};
await measure('the same, with no guest access and no topic (issue 17)', async (i) => {
  const [report, manager] = [take(), take()];
  const room = (
    await call('POST', '/createRoom', designedRoom(`org-ops${run}-l${i}`, [ceo, report, manager], lean))
  ).room_id as string;
  await call('POST', `/join/${encodeURIComponent(room)}`, {}, report);
  await call('POST', `/join/${encodeURIComponent(room)}`, {}, manager);
});
// The manager↔report room as the bridge makes it since: the agents' invites are state events of
// the creation, which Synapse persists in one batch with the rest of the room's initial state; the
// CEO, a person, is still invited on its own (issue 17).
const agentsInInitialState = (agents: string[]) => ({
  ...lean,
  initial_state: [
    ...lean.initial_state,
    ...agents.map((user) => ({ type: 'm.room.member', state_key: user, content: { membership: 'invite' } })),
  ],
});
await measure('the same, the agents invited in its initial state (issue 17)', async (i) => {
  const [report, manager] = [take(), take()];
  const room = (
    await call(
      'POST',
      '/createRoom',
      designedRoom(`org-ops${run}-s${i}`, [ceo], agentsInInitialState([report, manager])),
    )
  ).room_id as string;
  await call('POST', `/join/${encodeURIComponent(room)}`, {}, report);
  await call('POST', `/join/${encodeURIComponent(room)}`, {}, manager);
});
await measure('invite + join into a small room', async (i) => {
  const room = (await call('POST', '/createRoom', designedRoom(`org-ops${run}-c${i}`, [ceo])))
    .room_id as string;
  const user = take();
  await call('POST', `/rooms/${encodeURIComponent(room)}/invite`, { user_id: user });
  await call('POST', `/join/${encodeURIComponent(room)}`, {}, user);
});
await measure('read a membership (state GET)', async (i) => {
  await call(
    'GET',
    `/rooms/${encodeURIComponent(big)}/state/m.room.member/${encodeURIComponent(bigMembers[i % roomSize] ?? '')}`,
  );
});
await measure('resolve an alias (directory GET)', async () => {
  await call('GET', `/directory/room/${encodeURIComponent(`#org-ops${run}-big:${stack.serverName}`)}`);
});
await measure('m.direct: read and write account data', async (i) => {
  const user = agent(i);
  await fetch(
    `${hs}/_matrix/client/v3/user/${encodeURIComponent(user)}/account_data/m.direct?user_id=${encodeURIComponent(user)}`,
    {
      headers: { authorization: `Bearer ${stack.appservice.asToken}` },
    },
  );
  await call('PUT', `/user/${encodeURIComponent(user)}/account_data/m.direct`, { [bot]: [big] }, user);
});

// The "create + invite + join" rows include the small room's creation: subtract it to compare.
const table = results.map((r) => `| ${r.step} | ${r.ms.toFixed(1)} | ${r.pushed.toFixed(1)} |`);
console.log(
  [
    '| step (each K times) | Synapse CPU ms each | events pushed to the bridge each |',
    '|---|---:|---:|',
    ...table,
  ].join('\n'),
);
console.log(`\nK = ${K}, big room of ${roomSize} agents, settle ${settleMs} ms; Synapse pid ${synapsePid}.`);
asServer.close();
