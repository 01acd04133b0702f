// A stand-in for the agent entrypoint, until agent-container/ provides the real one: what the
// local process runner starts by default (LOCAL_AGENT_COMMAND overrides it). It behaves like an
// agent as far as the fleet can tell: it stays up, answers its health check, keeps a file in its
// private workspace across restarts, and exits cleanly on SIGTERM. Files in its workspace make it
// misbehave on purpose, for tests and demos:
//   <workspace>/crash       exit with code 1 (checked at start and every 200 ms)
//   <workspace>/unhealthy   answer 503 to the health check
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const agentId = process.env['OCF_AGENT_ID'] ?? 'unknown';
const dataDir = process.env['OCF_AGENT_DATA_DIR'] ?? process.cwd();
const port = Number(process.env['OCF_AGENT_HEALTH_PORT'] ?? '0');

const startsFile = join(dataDir, 'starts');
const starts = (existsSync(startsFile) ? Number(readFileSync(startsFile, 'utf8')) || 0 : 0) + 1;
writeFileSync(startsFile, String(starts));
appendFileSync(join(dataDir, 'journal.log'), `${new Date().toISOString()} start ${starts}\n`);
console.log(
  JSON.stringify({
    message: 'stand-in agent started',
    agentId,
    starts,
    secretArn: process.env['OCF_AGENT_SECRET_ARN'],
  }),
);

const server = createServer((request, response) => {
  const healthy = !existsSync(join(dataDir, 'unhealthy'));
  response.writeHead(request.url === '/healthz' ? (healthy ? 200 : 503) : 404, {
    'content-type': 'application/json',
  });
  response.end(JSON.stringify({ agentId, healthy, starts }));
});
server.listen(port, '127.0.0.1');

const crashCheck = setInterval(crashIfAsked, 200);
crashIfAsked();

function crashIfAsked(): void {
  if (!existsSync(join(dataDir, 'crash'))) return;
  console.error(JSON.stringify({ message: 'stand-in agent crashing on purpose', agentId }));
  process.exit(1);
}

process.once('SIGTERM', () => {
  clearInterval(crashCheck);
  appendFileSync(join(dataDir, 'journal.log'), `${new Date().toISOString()} stop\n`);
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
});
