/**
 * Everything `ocf` prints goes through here: data from the directory is made terminal-safe
 * (`@ocf/terminal`, the one rule the fleet command's display uses too), colour is used only on a terminal that has not
 * asked for none (NO_COLOR), and tables line up by visible width.
 */

import { terminalSafe } from '@ocf/terminal';

export { terminalSafe };

export interface Style {
  readonly enabled: boolean;
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly red: (text: string) => string;
}

/** Colour only for a terminal, never when NO_COLOR is set (to anything non-empty) or TERM is dumb. */
export function colourWanted(
  isTTY: boolean | undefined,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if ((env['NO_COLOR'] ?? '') !== '') return false;
  if (env['TERM'] === 'dumb') return false;
  return isTTY === true;
}

export function style(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (text: string) =>
    enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    enabled,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    red: wrap(31, 39),
  };
}

/** The colour that says how an agent is going: green running, red in trouble, dim gone. */
export function statusColour(status: string, s: Style): (text: string) => string {
  if (status === 'running') return s.green;
  if (status === 'failed' || status === 'crash-looping' || status === 'unhealthy') return s.red;
  if (status === 'retired' || status === 'retiring') return s.dim;
  return s.yellow;
}

/** A status, terminal-safe, in its colour. */
export function statusText(status: string, s: Style): string {
  return statusColour(status, s)(terminalSafe(status));
}

export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string | undefined;
  /** Colour applied after padding, so escapes never count towards the width. */
  readonly colour?: (text: string, row: T) => string;
}

/**
 * Rows as an aligned table with a header. Every cell is made terminal-safe before it is measured;
 * widths count code points, so a name with accents lines up too.
 */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], s: Style): string {
  const cells = rows.map((row) => columns.map((column) => terminalSafe(column.value(row) ?? '')));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((row) => Array.from(row[i] ?? '').length)),
  );
  const pad = (text: string, width: number) =>
    text + ' '.repeat(Math.max(0, width - Array.from(text).length));
  const lines = [
    columns
      .map((column, i) => s.bold(pad(column.header, widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
    ...rows.map((row, r) =>
      columns
        .map((column, i) => {
          const text = pad(cells[r]?.[i] ?? '', i === columns.length - 1 ? 0 : (widths[i] ?? 0));
          return column.colour === undefined ? text : column.colour(text, row);
        })
        .join('  ')
        .trimEnd(),
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * JSON for scripts: one document. JSON escapes C0 itself; DEL, C1 and the bidirectional overrides
 * are escaped too (`\u009b`), which is the same JSON, so it is safe on a terminal and loses nothing.
 */
export function json(value: unknown): string {
  return `${jsonLine(value, 2)}\n`;
}

export function jsonLine(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * A progress bar for a terminal, redrawn in place on stderr; off a terminal, a line every 10%,
 * so a CI log shows progress without thousands of lines.
 */
export function progressBar(write: (text: string) => void, isTTY: boolean, label: string) {
  let lastTenth = -1;
  return {
    update(done: number, total: number): void {
      if (isTTY) {
        const width = 30;
        const filled = total === 0 ? width : Math.round((done / total) * width);
        write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
        return;
      }
      const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        write(`${label}: ${done}/${total}\n`);
      }
    },
    end(): void {
      if (isTTY) write('\n');
    },
  };
}
