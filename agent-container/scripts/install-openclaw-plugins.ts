// Installs the OpenClaw plugins an agent needs into a "plugin home": an OpenClaw state directory
// that holds nothing but installed plugins, from which every agent run seeds its own state (see
// src/openclaw/state.ts). Runs at image build time (the Dockerfile) and once on a laptop; never
// when an agent starts.
//
//   node agent-container/scripts/install-openclaw-plugins.ts [--with-bedrock] [--dir <path>]
//
// Why not simply use the copy of @openclaw/matrix that pnpm installed: OpenClaw grants the
// plugin API the Matrix channel needs only to plugins it installed itself from the official npm
// package (an install record in its state database), and it refuses hard-linked plugin files,
// which is how pnpm lays packages out. So OpenClaw's own installer (npm) does it, at the exact
// version this package pins.
import { spawnSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openclawCli } from '../src/openclaw/gateway.ts';
import { PLUGIN_MANIFEST } from '../src/openclaw/state.ts';

const PACKAGE_ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: join(PACKAGE_ROOT, '.openclaw-plugins') },
    'with-bedrock': { type: 'boolean', default: false },
  },
});
const home = resolve(values.dir);

const manifest = JSON.parse(await readFile(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
const pinned = (name: string): string => {
  const version = manifest.dependencies[name];
  if (version === undefined || !/^\d+\.\d+\.\d+/.test(version))
    throw new Error(`${name} must be pinned exactly in package.json`);
  return version;
};

/** Plugin id -> npm package@version. Bedrock's provider plugin is versioned with OpenClaw itself. */
const wanted: Record<string, string> = { matrix: `@openclaw/matrix@${pinned('@openclaw/matrix')}` };
if (values['with-bedrock'])
  wanted['amazon-bedrock'] = `@openclaw/amazon-bedrock-provider@${pinned('openclaw')}`;

const current = await readFile(join(home, PLUGIN_MANIFEST), 'utf8')
  .then((text) => (JSON.parse(text) as { specs?: Record<string, string> }).specs)
  .catch(() => undefined);
if (JSON.stringify(current) === JSON.stringify(wanted)) {
  console.error(`OpenClaw plugins in ${home} are up to date: ${Object.values(wanted).join(', ')}`);
  process.exit(0);
}

await rm(home, { recursive: true, force: true });
for (const spec of Object.values(wanted)) {
  console.error(`installing ${spec} into ${home}`);
  // The whole environment: npm needs the machine's registry, proxy and CA settings as they are.
  const result = spawnSync(process.execPath, [openclawCli(), 'plugins', 'install', `npm:${spec}`], {
    stdio: 'inherit',
    env: { ...process.env, OPENCLAW_STATE_DIR: home, OPENCLAW_NO_AUTO_UPDATE: '1', DO_NOT_TRACK: '1' },
  });
  if (result.status !== 0)
    throw new Error(`openclaw plugins install npm:${spec} failed (exit ${result.status})`);
}

const plugins = Object.fromEntries(
  Object.entries(wanted).map(([id, spec]) => [id, spec.slice(spec.lastIndexOf('@') + 1)]),
);
await writeFile(join(home, PLUGIN_MANIFEST), `${JSON.stringify({ specs: wanted, plugins }, null, 2)}\n`);
console.error(`installed ${Object.values(wanted).join(', ')} into ${home}`);
