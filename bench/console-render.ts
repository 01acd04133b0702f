// Benchmark: the web console (ADR 0025) with a 1,000-agent fleet, in headless Chromium.
//
//   source scripts/toolchain.sh && node bench/console-render.ts [--size 1000] [--runs 5]
//
// The directory's real app serves the console and the watch stream from this process (in-memory
// adapters: the browser is what is measured). Each run is a fresh page: navigation start to the
// first chart row (the whole snapshot streamed, the tree built, the first rows painted); to
// interactive (that, then the first idle moment of the main thread); a search answered; the
// whole tree opened (every agent in the list) and the rows that are then really in the DOM.
// Prints the figures and rewrites the table in docs/benchmarks.md. Asserts nothing.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { consoleAssetsDir } from '@ocf/console';
import { launchChromium } from '../tests/support/browser.ts';
import { startConsoleFleet } from './support/console-fleet.ts';

const { values } = parseArgs({
  options: { size: { type: 'string', default: '1000' }, runs: { type: 'string', default: '5' } },
});
const size = Number(values.size);
const runs = Number(values.runs);
const fleet = await startConsoleFleet({ size });
const browser = await launchChromium();

interface Run {
  firstRow: number;
  interactive: number;
  search: number;
  expandAll: number;
  rowsInDom: number;
  listed: number;
}
const results: Run[] = [];
for (let run = 0; run < runs; run++) {
  // bypassCSP: the harness's own in-page probes are strings, which the console's CSP rightly forbids.
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  // The token as the sign-in form would leave it, and a watcher for the first row. The in-page
  // code is text: it runs in the browser, and this file is type-checked for Node.
  await page.addInitScript(`
    sessionStorage.setItem('ocf.console.token', ${JSON.stringify(fleet.token)});
    window.marks = {};
    new MutationObserver((_, observer) => {
      if (document.querySelector('[role="treeitem"]') === null) return;
      window.marks.firstRow = performance.now();
      requestIdleCallback(() => { window.marks.interactive = performance.now(); });
      observer.disconnect();
    }).observe(document, { childList: true, subtree: true });
  `);
  await page.goto(`${fleet.url}/console/`);
  await page.waitForFunction('window.marks.interactive !== undefined');
  const marks = await page.evaluate<{ firstRow: number; interactive: number }>('window.marks');
  const target = fleet.company.find((agent, i) => agent.level === 'ic' && i > size / 2) ?? fleet.company[0]!;
  const search = await page.evaluate<number>(`(async () => {
    const input = document.querySelector('input[type="search"]');
    const begun = performance.now();
    input.value = ${JSON.stringify(target.name)};
    input.dispatchEvent(new Event('input', { bubbles: true }));
    while (document.querySelector('[role="treeitem"][data-agent=${JSON.stringify(target.agentId)}]') === null)
      await new Promise(requestAnimationFrame);
    return performance.now() - begun;
  })()`);
  await page.getByLabel('Search', { exact: true }).fill('');
  const expanded = await page.evaluate<{ ms: number; rowsInDom: number; listed: number }>(`(async () => {
    const shown = () => Number((/\\d+/.exec(document.querySelector('.shown')?.textContent ?? '') ?? ['0'])[0]);
    const before = shown();
    const begun = performance.now();
    document.querySelector('button[data-action="expand-all"]').click();
    while (shown() === before) await new Promise(requestAnimationFrame);
    await new Promise(requestAnimationFrame);
    return {
      ms: performance.now() - begun,
      rowsInDom: document.querySelectorAll('[role="treeitem"]').length,
      listed: shown(),
    };
  })()`);
  results.push({
    firstRow: marks.firstRow,
    interactive: marks.interactive,
    search,
    expandAll: expanded.ms,
    rowsInDom: expanded.rowsInDom,
    listed: expanded.listed,
  });
  await context.close();
}
await browser.close();
await fleet.close();

const median = (pick: (run: Run) => number) => {
  const sorted = results.map(pick).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const assetsDir = join(consoleAssetsDir, 'assets');
const assets = readdirSync(assetsDir)
  .filter((name) => /\.(js|css)$/.test(name))
  .map((name) => {
    const body = readFileSync(join(assetsDir, name));
    return { name, bytes: statSync(join(assetsDir, name)).size, gzip: gzipSync(body).length };
  });
const page = readFileSync(join(consoleAssetsDir, 'index.html'));
const ms = (n: number) => `${n.toFixed(0)} ms`;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const rows: [string, string][] = [
  [`first chart row, from navigation start (median of ${runs})`, ms(median((r) => r.firstRow))],
  ['to interactive: first row, then the main thread idle (median)', ms(median((r) => r.interactive))],
  [`a search answered, ${size} agents (median)`, ms(median((r) => r.search))],
  [
    `open the whole tree: ${results[0]?.listed ?? 0} rows listed (median)`,
    `${ms(median((r) => r.expandAll))}, ${results[0]?.rowsInDom ?? 0} rows in the DOM`,
  ],
  ...assets.map(({ name, bytes, gzip }): [string, string] => [
    `asset ${name.replace(/-[A-Z0-9]+\./, '.')}`,
    `${kb(bytes)} (${kb(gzip)} gzipped)`,
  ]),
  ['page (index.html)', kb(page.length)],
];
const width = Math.max(...rows.map(([m]) => m.length), 'measure'.length);
const valueWidth = Math.max(...rows.map(([, v]) => v.length), 'value'.length);
const table = [
  `| ${'measure'.padEnd(width)} | ${'value'.padEnd(valueWidth)} |`,
  `| ${'-'.repeat(width)} | ${'-'.repeat(valueWidth)} |`,
  ...rows.map(([m, v]) => `| ${m.padEnd(width)} | ${v.padEnd(valueWidth)} |`),
].join('\n');
const load = loadavg().map((n) => n.toFixed(2));
const section = [
  '<!-- console-render:start -->',
  '',
  `### The web console with ${size} agents (headless Chromium)`,
  '',
  table,
  '',
  `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, Debian's Chromium through playwright-core; shared machine, load average ${load.join(' / ')}. \`node bench/console-render.ts --size ${size} --runs ${runs}\`: the directory's app in-process over in-memory adapters, the sample company with its cascade played forward.`,
  '',
  '<!-- console-render:end -->',
].join('\n');
process.stdout.write(`${table}\n`);
const docs = resolve(import.meta.dirname, '../docs/benchmarks.md');
const text = readFileSync(docs, 'utf8');
const pattern = /<!-- console-render:start -->[\s\S]*<!-- console-render:end -->/;
writeFileSync(
  docs,
  pattern.test(text) ? text.replace(pattern, section) : `${text.trimEnd()}\n\n${section}\n`,
);
