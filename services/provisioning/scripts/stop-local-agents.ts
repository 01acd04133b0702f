// Stops every local agent process of a fleet environment (SIGTERM, then SIGKILL after the grace):
//   OCF_ENV=local node services/provisioning/scripts/stop-local-agents.ts [--dir <agents folder>]
// The fleet command's `down` runs it after stopping the services; provisioning itself leaves its
// agents running when it stops, so that a restart of provisioning is not a restart of the fleet.
import { parseArgs } from 'node:util';
import { stopAllLocalAgents } from '../src/adapters/local-process-runner.ts';
import { defaultLocalAgentsDir } from '@ocf/agent-tasks';

const { values } = parseArgs({ options: { dir: { type: 'string' } } });
const root =
  values.dir ?? process.env['LOCAL_AGENTS_DIR'] ?? defaultLocalAgentsDir(process.env['OCF_ENV'] ?? 'local');
const stopped = await stopAllLocalAgents(root, Number(process.env['LOCAL_AGENT_STOP_GRACE_MS'] ?? 10_000));
process.stdout.write(`${JSON.stringify({ root, stopped })}\n`);
