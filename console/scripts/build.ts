#!/usr/bin/env node
/**
 * Builds the console into console/dist: index.html and content-hashed assets (one script, one
 * stylesheet). Runs at install time (the root package's postinstall), so a checkout, CI and the
 * fleet image all serve what the sources say; nothing is fetched at run time.
 *
 *   node console/scripts/build.ts [--quiet]
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
const quiet = process.argv.includes('--quiet');

await rm(dist, { recursive: true, force: true });
await mkdir(path.join(dist, 'assets'), { recursive: true });
const result = await build({
  entryPoints: [path.join(root, 'src/app/main.tsx')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: path.join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
const outputs = Object.keys(result.metafile.outputs).map((file) => path.resolve(file));
const named = (extension: string) => {
  const file = outputs.find((output) => output.endsWith(extension));
  if (file === undefined) throw new Error(`the build wrote no ${extension} file`);
  return path.basename(file);
};
const js = named('.js');
const css = named('.css');
const template = await readFile(path.join(root, 'src/app/index.html'), 'utf8');
await writeFile(path.join(dist, 'index.html'), template.replace('{{js}}', js).replace('{{css}}', css));
if (!quiet) {
  for (const file of [js, css])
    process.stdout.write(
      `console: dist/assets/${file} ${(await stat(path.join(dist, 'assets', file))).size} bytes\n`,
    );
}
