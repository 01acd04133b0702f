import { readFile } from 'node:fs/promises';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { EXIT } from './exit-codes.ts';
import { CliError } from './context.ts';

/** An org file as read: its content, and where in the file each path is (for errors by line). */
export interface ReadOrgFile {
  readonly file: string;
  readonly content: unknown;
  /** `people[3].manager` -> its line, when the file has that path. */
  lineOf(path: string): number | undefined;
}

/**
 * Reads an org file, YAML or JSON (JSON is YAML too, so one parser gives both the same line
 * numbers). A syntax error or a key given twice refuses the file with its line.
 */
export async function readOrgFile(file: string): Promise<ReadOrgFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.usage);
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    const messages = document.errors.map((error) => {
      const at = error.linePos?.[0];
      return `${file}${at === undefined ? '' : `:${at.line}:${at.col}`}: ${error.message.split('\n')[0] ?? ''}`;
    });
    throw new CliError(`${file} is not valid YAML or JSON:\n  ${messages.join('\n  ')}`, EXIT.refused);
  }
  return {
    file,
    content: document.toJS({ maxAliasCount: 100 }),
    lineOf: (path) => lineOf(document, lineCounter, path),
  };
}

function lineOf(document: Document, lineCounter: LineCounter, path: string): number | undefined {
  const keys = [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] === undefined ? (m[1] ?? '') : Number(m[2]),
  );
  // The deepest part of the path that exists: an entry's line when its field is missing.
  for (let n = keys.length; n > 0; n--) {
    const node = document.getIn(keys.slice(0, n), true);
    if (isNode(node) && node.range !== undefined && node.range !== null)
      return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}
