// The README's pictures of the web console, taken by headless Chromium:
//
//   source scripts/toolchain.sh && node bench/console-screenshots.ts
//
// Writes docs/console-chart.png (the org chart of a 300-agent sample company, two levels open)
// and docs/console-card.png (one agent's card). Same in-process directory as the console benchmark.
import { resolve } from 'node:path';
import { launchChromium } from '../tests/support/browser.ts';
import { startConsoleFleet } from './support/console-fleet.ts';

const docs = resolve(import.meta.dirname, '../docs');
const fleet = await startConsoleFleet({ size: 300, seed: 2 });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  await page.addInitScript((token: string) => {
    sessionStorage.setItem('ocf.console.token', token);
  }, fleet.token);
  await page.goto(`${fleet.url}/console/`);
  const tree = page.getByRole('tree');
  await tree.waitFor();
  // From the CEO at the root: open the VPs, then the first director, with the keyboard as an
  // operator would.
  await tree.focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowDown'); // the first VP
  await page.keyboard.press('*'); // every VP opened
  await page.keyboard.press('ArrowRight'); // the first VP's first director
  await page.keyboard.press('ArrowRight'); // opened
  await page.keyboard.press('ArrowRight'); // its first report
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.locator('article.card').waitFor();
  await page.screenshot({ path: resolve(docs, 'console-chart.png') });
  await page.locator('.card-pane').screenshot({ path: resolve(docs, 'console-card.png') });
  process.stdout.write('wrote docs/console-chart.png and docs/console-card.png\n');
} finally {
  await browser.close();
  await fleet.close();
}
