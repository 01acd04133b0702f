import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { terminalSafe } from '../src/index.ts';

// Anything a terminal acts on: C0, DEL, C1, and the bidirectional overrides and isolates.
const UNSAFE = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;

describe('terminalSafe', () => {
  it('shows ESC, BEL, OSC and CSI sequences as escapes instead of sending them', () => {
    assert.equal(terminalSafe('\u001b]0;pwned\u0007Ada'), '\\x1b]0;pwned\\x07Ada');
    assert.equal(terminalSafe('\u001b[2J\u001b[H'), '\\x1b[2J\\x1b[H');
    assert.equal(terminalSafe('a\u009b31mb\u009dc'), 'a\\u009b31mb\\u009dc');
    assert.equal(terminalSafe('tab\there\nnew\rline\u007f'), 'tab\\x09here\\x0anew\\x0dline\\x7f');
    assert.equal(terminalSafe('evil\u202egnp.exe'), 'evil\\u202egnp.exe');
  });

  it('keeps every other character as it is', () => {
    assert.equal(terminalSafe('Zoë Ångström — 设计 🚀 \\x1b'), 'Zoë Ångström — 设计 🚀 \\x1b');
  });

  it('prints whatever is not a string as its JSON text, escaped the same way', () => {
    assert.equal(terminalSafe(42), '42');
    assert.equal(terminalSafe(undefined), 'undefined');
    assert.equal(terminalSafe({ t: '\u001b' }), '{"t":"\\u001b"}');
  });

  it('never lets a control character through, whatever the input (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        assert.doesNotMatch(terminalSafe(text), UNSAFE);
      }),
    );
  });
});
