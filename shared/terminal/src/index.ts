/**
 * Text from the directory (or an org file, or a log) made safe to print on a terminal: every
 * control character is shown as an escape instead of being sent raw, so a name or title cannot
 * move the cursor, retitle the window, ring the bell, write a hyperlink or smuggle an OSC 52
 * clipboard write (ESC, BEL, CSI...). C0 and DEL print as `\x1b`, C1 (U+0080-U+009F, which some
 * terminals read as ESC + a letter) and the bidirectional overrides and isolates (which reorder
 * what follows them) as `\u009b`. Everything else passes unchanged. It applies to whatever the
 * directory returns, data stored before the API refused control characters included; anything
 * that is not a string is printed as its JSON text, escaped the same way.
 *
 * The one copy: `ocf` (cli/) and the fleet command's display (local-stack/) both print with it.
 */
export function terminalSafe(value: unknown): string {
  const text =
    typeof value === 'string' ? value : ((JSON.stringify(value) as string | undefined) ?? String(value));
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x80
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

// Cc is C0, DEL and C1; then LRE, RLE, PDF, LRO, RLO and LRI, RLI, FSI, PDI.
const UNSAFE = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu;
