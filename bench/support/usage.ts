import { readFileSync } from 'node:fs';

/**
 * Prints a bench's usage — the comment block at the top of its file — and exits: the header is
 * the one place the options are described, so `--help` shows it rather than a second copy.
 */
export function printHeaderUsageAndExit(file: string): never {
  const lines = readFileSync(file, 'utf8').split('\n');
  const header = lines.slice(
    0,
    lines.findIndex((line) => !line.startsWith('//')),
  );
  console.log(header.map((line) => line.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(0);
}
