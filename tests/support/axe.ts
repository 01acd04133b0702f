import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/**
 * axe-core's accessibility checks, run in the page as it is. The script goes in through the
 * DevTools protocol (page.evaluate), not a <script> tag, so the console's Content-Security-Policy
 * (`script-src 'self'`) stays as it is served.
 */
const source = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The rules a failure of which fails a test: contrast, and a name for every form field and control. */
export const ENFORCED_RULES = [
  'color-contrast',
  'label',
  'select-name',
  'button-name',
  'aria-input-field-name',
  'form-field-multiple-labels',
  'label-title-only',
  'aria-allowed-attr',
  'aria-required-children',
  'aria-required-parent',
  'aria-valid-attr-value',
] as const;

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[]; readonly failureSummary?: string }[];
}

/** The violations of `rules` in the page, or within `selector` when given (an open dialog, say). */
export async function axeViolations(
  page: Page,
  { rules = ENFORCED_RULES, selector }: { rules?: readonly string[]; selector?: string } = {},
): Promise<AxeViolation[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(await source);
  const context = JSON.stringify(selector ?? 'document');
  const options = JSON.stringify({ runOnly: { type: 'rule', values: rules }, resultTypes: ['violations'] });
  return page.evaluate<AxeViolation[]>(`(async () => {
    const context = ${context} === 'document' ? document : document.querySelector(${context});
    const results = await window.axe.run(context, ${options});
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  })()`);
}

/** A readable list of violations, for an assertion's message. */
export function describeViolations(violations: readonly AxeViolation[]): string {
  return violations
    .map(
      (v) =>
        `${v.id} (${v.impact ?? '?'}): ${v.help}\n${v.nodes
          .slice(0, 5)
          .map((n) => `  ${n.target.join(' ')}: ${n.failureSummary ?? ''}`)
          .join('\n')}`,
    )
    .join('\n');
}
