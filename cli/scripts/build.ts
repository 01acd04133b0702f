/**
 * Builds `ocf` as a package that installs and runs on its own, anywhere Node 24 is:
 *
 *   node cli/scripts/build.ts            # cli/dist: the package, ready to pack
 *   node cli/scripts/build.ts --pack DIR # ... and `pnpm pack` it into DIR (prints the tarball)
 *
 * In the repository Node runs the TypeScript sources directly (ADR 0002), but it refuses to strip
 * types from files under node_modules, so an installed `ocf` must be JavaScript: tsc compiles the
 * CLI and the workspace packages it uses (@ocf/events, @ocf/org-file, ...) with relative imports
 * rewritten to `.js`. The workspace packages are not published anywhere, and an operator's machine
 * may have no registry, so the tarball carries every dependency (`bundleDependencies`): the
 * compiled workspace packages and the third-party ones at the versions the lockfile pinned,
 * copied from this install. `npm install ocf-cli-<version>.tgz` then needs no network at all.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

const cliDir = path.resolve(import.meta.dirname, '..');
const root = path.resolve(cliDir, '..');
const out = path.join(cliDir, 'dist');
const build = path.join(out, '.build');

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  description?: string;
  engines?: Record<string, string>;
}
const readManifest = (dir: string) =>
  JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
const isWorkspace = (spec: string) => spec.startsWith('workspace:');

/** The real directory of dependency `name` as seen from the package in `fromDir` (pnpm's layout). */
function resolveFrom(fromDir: string, name: string): string | undefined {
  // pnpm: a package's own node_modules (workspace packages), or the virtual store's folder it sits in.
  const candidates = [path.join(fromDir, 'node_modules', name)];
  const parent = path.dirname(fromDir);
  const storeNodeModules = path.basename(parent).startsWith('@') ? path.dirname(parent) : parent;
  if (path.basename(storeNodeModules) === 'node_modules') candidates.push(path.join(storeNodeModules, name));
  for (const candidate of candidates) if (existsSync(candidate)) return realpathSync(candidate);
  return undefined;
}

/** The workspace packages `ocf` needs, by name, with their source directories. */
function workspaceClosure(): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (dir: string) => {
    for (const [name, spec] of Object.entries(readManifest(dir).dependencies ?? {})) {
      if (!isWorkspace(spec) || found.has(name)) continue;
      const source = resolveFrom(dir, name);
      if (source === undefined) throw new Error(`${name} is not installed; run pnpm install`);
      found.set(name, source);
      visit(source);
    }
  };
  visit(cliDir);
  return found;
}

function compile(workspace: Map<string, string>): void {
  const rel = (dir: string) => path.relative(out, dir).split(path.sep).join('/');
  const tsconfig = path.join(out, 'tsconfig.build.json');
  writeFileSync(
    tsconfig,
    JSON.stringify(
      {
        extends: rel(path.join(root, 'tsconfig.json')),
        compilerOptions: {
          noEmit: false,
          outDir: '.build',
          rootDir: rel(root),
          rewriteRelativeImportExtensions: true,
          declaration: false,
          sourceMap: false,
        },
        include: [
          rel(path.join(cliDir, 'src')),
          ...[...workspace.values()].map((dir) => rel(path.join(dir, 'src'))),
        ].map((dir) => `${dir}/**/*.ts`),
      },
      null,
      2,
    ),
  );
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', tsconfig], { stdio: 'inherit' });
  rmSync(tsconfig);
}

/**
 * Lays the third-party dependencies out the way npm would install them: each package at the top
 * of node_modules unless another version is already there, then nested under the package that
 * needs it. Returns the top-level names (the ones to declare as bundled).
 */
function placeThirdParty(roots: readonly { from: string; name: string }[]): string[] {
  const top = path.join(out, 'node_modules');
  const placedAt = new Map<string, string>(); // install dir -> version
  const queue: { name: string; real: string; installedIn: string }[] = [];
  const want = (fromReal: string, name: string, installedIn: string, optional: boolean) => {
    const real = resolveFrom(fromReal, name);
    if (real === undefined) {
      if (optional) return;
      throw new Error(`${name} (needed by ${fromReal}) is not installed`);
    }
    queue.push({ name, real, installedIn });
  };
  for (const { from, name } of roots) want(from, name, out, false);
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const { name, real, installedIn } = next;
    const version = readManifest(real).version;
    // Where Node would find `name` from `installedIn`: the nearest node_modules that has it.
    let found: string | undefined;
    for (let dir: string | undefined = installedIn; dir !== undefined; dir = enclosingPackage(dir)) {
      const at = path.join(dir, 'node_modules', name);
      if (placedAt.has(at)) {
        found = at;
        break;
      }
    }
    if (found !== undefined && placedAt.get(found) === version) continue;
    const target = found === undefined ? path.join(top, name) : path.join(installedIn, 'node_modules', name);
    placedAt.set(target, version);
    cpSync(real, target, {
      recursive: true,
      dereference: true,
      filter: (src) => path.basename(src) !== 'node_modules' || src === real,
    });
    const manifest = readManifest(real);
    for (const dep of Object.keys(manifest.dependencies ?? {})) want(real, dep, target, false);
    for (const dep of Object.keys(manifest.optionalDependencies ?? {})) want(real, dep, target, true);
  }
  return [...placedAt.keys()]
    .filter((at) => path.dirname(at) === top || path.dirname(path.dirname(at)) === top)
    .map((at) => path.relative(top, at).split(path.sep).join('/'))
    .filter((name) => !name.includes('node_modules'));
}

/** The package directory a package installed at `dir` is nested in (undefined for the root). */
function enclosingPackage(dir: string): string | undefined {
  const at = dir.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  return at === -1 ? undefined : dir.slice(0, at);
}

function main(): void {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const workspace = workspaceClosure();
  compile(workspace);

  const cli = readManifest(cliDir);
  cpSync(path.join(build, 'cli', 'src'), path.join(out, 'src'), { recursive: true });
  mkdirSync(path.join(out, 'bin'));
  writeFileSync(
    path.join(out, 'bin', 'ocf.js'),
    "#!/usr/bin/env node\n// The `ocf` command, built (cli/scripts/build.ts).\nimport process from 'node:process';\nimport { main } from '../src/main.js';\n\nprocess.exitCode = await main(process.argv.slice(2));\n",
    { mode: 0o755 },
  );

  const thirdParty: { from: string; name: string }[] = [];
  const collect = (dir: string) => {
    for (const [name, spec] of Object.entries(readManifest(dir).dependencies ?? {}))
      if (!isWorkspace(spec)) thirdParty.push({ from: dir, name });
  };
  collect(cliDir);
  for (const [name, source] of workspace) {
    const manifest = readManifest(source);
    const target = path.join(out, 'node_modules', name);
    cpSync(path.join(build, path.relative(root, source), 'src'), path.join(target, 'src'), {
      recursive: true,
    });
    writeFileSync(
      path.join(target, 'package.json'),
      `${JSON.stringify(
        {
          name,
          version: manifest.version,
          private: true,
          type: 'module',
          exports: { '.': './src/index.js' },
          dependencies: Object.fromEntries(
            Object.entries(manifest.dependencies ?? {}).map(([dep, spec]) => [
              dep,
              isWorkspace(spec) ? readManifest(workspace.get(dep) ?? '').version : spec,
            ]),
          ),
        },
        null,
        2,
      )}\n`,
    );
    collect(source);
  }
  rmSync(build, { recursive: true, force: true });
  const bundled = placeThirdParty(thirdParty);

  const versionOf = (name: string) => readManifest(path.join(out, 'node_modules', name)).version;
  const allBundled = [...new Set([...workspace.keys(), ...bundled])].sort();
  writeFileSync(
    path.join(out, 'package.json'),
    `${JSON.stringify(
      {
        name: cli.name,
        version: cli.version,
        description: cli.description,
        type: 'module',
        bin: { ocf: './bin/ocf.js' },
        engines: cli.engines,
        files: ['bin', 'src'],
        dependencies: Object.fromEntries(allBundled.map((name) => [name, versionOf(name)])),
        bundleDependencies: allBundled,
      },
      null,
      2,
    )}\n`,
  );
  process.stderr.write(
    `built ${cli.name}@${cli.version} in ${path.relative(process.cwd(), out) || '.'} (${allBundled.length} bundled packages)\n`,
  );

  const packIndex = process.argv.indexOf('--pack');
  if (packIndex !== -1) {
    const destination = path.resolve(process.argv[packIndex + 1] ?? '.');
    mkdirSync(destination, { recursive: true });
    // pnpm packs bundled dependencies only from a hoisted layout, which cli/dist is (the
    // workspace itself is isolated; the setting applies to this one command).
    const output = execFileSync(
      'pnpm',
      ['pack', '--config.node-linker=hoisted', '--pack-destination', destination],
      {
        cwd: out,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const tarball = output
      .trim()
      .split('\n')
      .filter((line) => line.endsWith('.tgz'))
      .at(-1);
    process.stdout.write(
      `${tarball === undefined ? output.trim() : path.resolve(destination, path.basename(tarball))}\n`,
    );
  }
}

main();
