import { open } from 'node:fs/promises';

/** The last lines of a log, to put the cause of a failure right into its error message. */
export async function logTail(file: string, lines = 15): Promise<string> {
  const tailBytes = 8192;
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return `  (no log at ${file})`;
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - tailBytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    return buffer
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .slice(-lines)
      .map((line) => `  ${line}`)
      .join('\n');
  } finally {
    await handle.close();
  }
}
