import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Browser, Page } from 'playwright-core';
import { applyRouting, fleetRouting } from '@ocf/routing';
import { awsClients, uniqueEnvironment } from '../support/aws.ts';
import { axeViolations, describeViolations } from '../support/axe.ts';
import { launchChromium } from '../support/browser.ts';
import { runServiceScript, startServiceProcess, type RunningServiceProcess } from '../support/services.ts';

interface Hire {
  agentId: string;
  name: string;
  manager: string;
  level: string;
}

// The web console (ADR 0025) in a real headless Chromium, served by the real directory service on
// moto, following its real watch stream: what an operator sees and does, asserted in the page.
describe('the web console in a browser', { timeout: 180_000 }, () => {
  const clients = awsClients();
  const routing = fleetRouting(uniqueEnvironment('console'));
  const env = { OCF_ENV: routing.environment, DIRECTORY_WATCH_POLL_MS: '250' };
  let directory: RunningServiceProcess;
  let token: string;
  let browser: Browser | undefined;
  let page: Page;
  let sample: Hire[];
  const suffix = routing.environment.slice(-6);

  const api = (method: string, path: string, body?: unknown, auth = true) =>
    fetch(`${directory.url}${path}`, {
      method,
      headers: {
        ...(auth ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const row = (agentId: string) => page.locator(`[role="treeitem"][data-agent="${agentId}"]`);
  let published = 0;
  /** A service's event, as it would publish it: the directory's projection takes it from its queue. */
  const publish = async (source: string, type: string, data: Record<string, unknown>, at = new Date()) => {
    const put = await clients.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: routing.busName,
            Source: source,
            DetailType: type,
            Detail: JSON.stringify({
              metadata: {
                eventId: `console-${suffix}-${++published}`,
                correlationId: 'console',
                occurredAt: at.toISOString(),
                schemaVersion: 1,
              },
              data,
            }),
          },
        ],
      }),
    );
    assert.equal(put.FailedEntryCount, 0);
    return at.toISOString();
  };
  /** The element that has the focus, as a short description (role or tag, and its name). */
  const focused = (): Promise<string> =>
    page.evaluate<string>(`(() => {
      const e = document.activeElement;
      if (e === null) return 'nothing';
      const label = (e.id && document.querySelector('label[for="' + e.id + '"]')) || e.closest('label');
      const name = e.getAttribute('aria-label') || (label && label.textContent) || e.textContent || '';
      return (e.getAttribute('role') || e.tagName.toLowerCase()) + ':' + name.trim().slice(0, 40);
    })()`);
  const card = () => page.locator('article.card');

  before(async () => {
    await applyRouting(routing, clients);
    token = await runServiceScript('directory', 'create-token.ts', ['--name', 'console-e2e'], env);
    directory = await startServiceProcess('directory', env);
    const org = JSON.parse(
      await runServiceScript(
        'directory',
        'sample-org.ts',
        ['--seed', '3', '--size', '40', '--format', 'import'],
        env,
      ),
    ) as { agents: Hire[] };
    sample = org.agents;
    const imported = await api('POST', '/v1/org/import', org);
    assert.equal(imported.status, 200, await imported.text());
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    assert.equal(await directory.stop(), 0);
    // The token went in headers only: never in a logged URL.
    assert.ok(!directory.output.join('\n').includes(token), 'the API token is not in the logs');
  });

  it('refuses a request without a token, and a wrong token at the door', async () => {
    for (const path of ['/v1/agents', '/v1/watch/agents']) {
      const response = await api('GET', path, undefined, false);
      assert.equal(response.status, 401, path);
    }
    await page.goto(`${directory.url}/console`);
    await page.getByLabel('API token').fill('ocf_not-a-real-token');
    await page.getByRole('button', { name: 'Open the console' }).click();
    await page.getByRole('alert').filter({ hasText: 'refused this token' }).waitFor();
    const signIn = await axeViolations(page);
    assert.deepEqual(signIn, [], describeViolations(signIn));
    assert.equal(await page.locator('[role="tree"]').count(), 0, 'no chart without a valid token');
  });

  it('renders the sample org from the CEO down, and finds anyone by search', async () => {
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Open the console' }).click();
    const tops = sample.filter((agent) => agent.manager === 'ceo');
    assert.ok(tops.length > 0);
    for (const top of tops) await row(top.agentId).waitFor();
    assert.equal(await page.locator('[data-figure="total"]').textContent(), String(sample.length));
    // The human CEO at the root, the org under it.
    const first = page.locator('[role="treeitem"]').first();
    assert.equal(await first.getAttribute('data-agent'), 'ceo');
    assert.equal(await first.getAttribute('aria-level'), '1');
    assert.equal(await first.getAttribute('aria-expanded'), 'true');
    for (const top of tops) assert.equal(await row(top.agentId).getAttribute('aria-level'), '2');
    await row('ceo').click();
    await card().getByRole('heading', { name: 'The CEO' }).waitFor();
    assert.equal(
      await card().locator('[data-field="reports"] button').count(),
      tops.length,
      "the CEO's card lists its direct reports",
    );
    // An individual contributor deep in the tree: the search opens the way down to it.
    const ic = sample.find((agent) => agent.level === 'ic');
    assert.ok(ic);
    await page.getByLabel('Search', { exact: true }).fill(ic.name);
    await row(ic.agentId).waitFor();
    assert.equal(await row(ic.manager).getAttribute('aria-expanded'), 'true', 'its manager is opened');
    await page.getByLabel('Search', { exact: true }).fill('');
  });

  it('is driven from the keyboard: tab order, arrows through the tree, Enter and Space, a visible focus', async () => {
    // Tab from the search field: the filters in reading order, then the tree.
    await page.getByLabel('Search', { exact: true }).focus();
    const order: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      order.push(await focused());
    }
    assert.deepEqual(order, [
      'select:Department',
      'select:Team',
      'select:Level',
      'select:Status',
      'input:Show retired',
      'button:Expand all',
      'button:Collapse all',
      'tree:Org chart, from the CEO down',
    ]);
    const tree = page.getByRole('tree');
    // The focus is visible: a 3 px solid ring on the tree's active row (keyboard focus).
    await page.keyboard.press('Home');
    const activeId = async () => {
      const id = (await tree.getAttribute('aria-activedescendant')) ?? '';
      return page.locator(`[id="${id}"]`).getAttribute('data-agent');
    };
    assert.equal(await activeId(), 'ceo', 'Home: the CEO at the root');
    const ring = await page.evaluate(
      '(() => { const s = getComputedStyle(document.querySelector(\'[role="treeitem"].active\')); return [s.outlineStyle, s.outlineWidth]; })()',
    );
    assert.deepEqual(ring, ['solid', '3px'], 'the active row shows the focus');
    await page.keyboard.press('ArrowDown');
    const first = await activeId();
    assert.ok(first !== null && sample.some((agent) => agent.agentId === first && agent.manager === 'ceo'));
    await page.keyboard.press('ArrowRight');
    assert.equal(await row(first).getAttribute('aria-expanded'), 'true', 'ArrowRight opens');
    await page.keyboard.press('ArrowDown');
    const report = await activeId();
    assert.equal(
      sample.find((agent) => agent.agentId === report)?.manager,
      first,
      'ArrowDown: its first report',
    );
    await page.keyboard.press('Enter');
    await page.locator(`article.card[data-agent="${report}"]`).waitFor();
    await page.keyboard.press('ArrowLeft');
    assert.equal(await activeId(), first, 'ArrowLeft: back to the manager');
    await page.keyboard.press(' ');
    await page.locator(`article.card[data-agent="${first}"]`).waitFor();
    await page.keyboard.press('ArrowLeft');
    assert.equal(await row(first).getAttribute('aria-expanded'), 'false', 'ArrowLeft closes');
    // The card comes next in the tab order, and its buttons show their focus too.
    await page.keyboard.press('Tab');
    assert.ok(
      await page.evaluate('document.activeElement.closest("article.card") !== null'),
      `Tab from the tree lands in the card, not ${await focused()}`,
    );
    const buttonRing = await page.evaluate(
      '[getComputedStyle(document.activeElement).outlineStyle, getComputedStyle(document.activeElement).outlineWidth]',
    );
    assert.deepEqual(buttonRing, ['solid', '3px']);
  });

  it('closes a dialog with Escape and gives the focus back to what opened it', async () => {
    const retire = card().getByRole('button', { name: 'Retire' });
    await retire.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.ok(await page.evaluate('document.activeElement.closest("dialog") !== null'), 'the focus is in it');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await focused(), 'button:Retire', 'the focus is back on the button');
  });

  it('shows a hire made by REST, live', async () => {
    const agentId = `live-${suffix}`;
    const response = await api('POST', '/v1/agents', {
      agentId,
      name: `Live Hire ${suffix}`,
      title: 'Chief of Staff',
      level: 'executive',
      department: 'Office',
      manager: 'ceo',
    });
    assert.equal(response.status, 202);
    await row(agentId).waitFor();
    assert.equal(await row(agentId).getAttribute('data-status'), 'hired');
  });

  it("updates an agent's card when its status changes", async () => {
    const agentId = `live-${suffix}`;
    await row(agentId).click();
    await card()
      .getByRole('heading', { name: `Live Hire ${suffix}` })
      .waitFor();
    assert.equal(await card().locator('[data-field="status"]').textContent(), 'hired');
    // The credentials service's event, as it would publish it: the directory's status projection
    // takes it from its queue, and the watch stream brings the change to the page.
    const at = new Date().toISOString();
    const put = await clients.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: routing.busName,
            Source: 'ocf.credentials',
            DetailType: 'CredentialsIssued',
            Detail: JSON.stringify({
              metadata: {
                eventId: `console-${suffix}`,
                correlationId: 'console',
                occurredAt: at,
                schemaVersion: 1,
              },
              data: {
                agentId,
                secretArn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${agentId}`,
                restored: false,
              },
            }),
          },
        ],
      }),
    );
    assert.equal(put.FailedEntryCount, 0);
    await card()
      .locator('[data-field="status"]', { hasText: 'credentials-issued' })
      .waitFor({ timeout: 60_000 });
    const step = card().locator('[data-step="hire:credentials"]');
    assert.match((await step.textContent()) ?? '', /done/);
    assert.equal(await step.locator('time').getAttribute('datetime'), at);
    assert.equal(await row(agentId).getAttribute('data-status'), 'credentials-issued');
  });

  it("shows an agent's restarts, last activity and wakes on its card, and a crash loop at the top", async () => {
    const agentId = `live-${suffix}`;
    const base = Date.now();
    await publish(
      'ocf.health',
      'AgentRestartRequested',
      {
        agentId,
        attempt: 1,
        notBefore: new Date(base + 5_000).toISOString(),
        reason: 'Task stopped: exit code 1',
      },
      new Date(base),
    );
    const lastRestart = await publish(
      'ocf.health',
      'AgentRestartRequested',
      {
        agentId,
        attempt: 2,
        notBefore: new Date(base + 15_000).toISOString(),
        reason: 'Gateway health endpoint timed out 3 times',
      },
      new Date(base + 1_000),
    );
    const seenAt = new Date(base + 2_000).toISOString();
    await publish(
      'ocf.bridge',
      'AgentWakeRequested',
      { agentId, reason: 'mention', seenAt },
      new Date(base + 2_000),
    );
    await publish(
      'ocf.provisioning',
      'AgentAwake',
      {
        agentId,
        taskArn: `task-${suffix}`,
        wakeSeenAt: seenAt,
      },
      new Date(base + 3_000),
    );
    const restarts = card().locator('[data-field="restarts"]');
    await restarts.filter({ hasText: /^2; last/ }).waitFor({ timeout: 60_000 });
    assert.match((await restarts.textContent()) ?? '', /Gateway health endpoint timed out 3 times$/);
    assert.equal(await restarts.locator('time').getAttribute('datetime'), lastRestart);
    const activity = card().locator('[data-field="activity"]');
    await activity.filter({ hasText: 'woken 1 time' }).waitFor({ timeout: 60_000 });
    // The wake's count comes from AgentAwake and the last activity from AgentWakeRequested: the
    // directory may apply them in either order, so wait for the second as well.
    await activity.locator(`time[datetime="${seenAt}"]`).waitFor({ timeout: 60_000 });
    assert.equal(await activity.locator('time').first().getAttribute('datetime'), seenAt);

    // Its restarts stop: a crash loop, counted at the top and listed with its reason.
    const loops = Number(await page.locator('[data-figure="crash-loops"]').textContent());
    await publish(
      'ocf.health',
      'AgentCrashLooping',
      {
        agentId,
        failures: 5,
        windowSeconds: 600,
        lastReason: 'Essential container exited (code 1)',
      },
      new Date(base + 4_000),
    );
    await page
      .locator('[data-figure="crash-loops"]', { hasText: String(loops + 1) })
      .waitFor({ timeout: 60_000 });
    await page.getByText(/^Failures needing attention/).click();
    const listed = page.locator('.attention li', { hasText: `Live Hire ${suffix}` });
    assert.match((await listed.textContent()) ?? '', /crash-looping Essential container exited \(code 1\)/);
  });

  it("changes an agent's budget after a confirmation, showing the API's field error beside the field", async () => {
    const agentId = `live-${suffix}`;
    await card().getByRole('button', { name: 'Change budget' }).click();
    const dialog = page.getByRole('dialog', { name: `Change budget: Live Hire ${suffix}` });
    await dialog.getByText('Its monthly model budget is no budget of its own').waitFor();
    // What the API says about a negative budget, straight from it.
    const refused = await api('PATCH', `/v1/agents/${agentId}`, { monthlyBudgetUsd: -5 });
    assert.equal(refused.status, 400);
    const { issues } = (await refused.json()) as { issues: { field: string; message: string }[] };
    assert.deepEqual(
      issues.map((issue) => issue.field),
      ['body.monthlyBudgetUsd'],
    );
    await dialog.getByLabel('New monthly budget, USD').fill('-5');
    await dialog.getByRole('button', { name: 'Set budget' }).click();
    const error = dialog.locator('[data-error-for="monthlyBudgetUsd"]');
    await error.waitFor();
    assert.equal(await error.textContent(), issues[0]?.message, "the API's words, beside the field");
    assert.equal(await dialog.getByLabel('New monthly budget, USD').getAttribute('aria-invalid'), 'true');
    // Text that is no number goes as typed; the API names the field again.
    await dialog.getByLabel('New monthly budget, USD').fill('lots');
    await dialog.getByRole('button', { name: 'Set budget' }).click();
    await error.filter({ hasText: /expected number/ }).waitFor();

    await dialog.getByLabel('New monthly budget, USD').fill('40');
    await dialog.getByRole('button', { name: 'Set budget' }).click();
    await dialog.waitFor({ state: 'detached' });
    await card().locator('[role="status"]', { hasText: 'Budget set to $40.00 a month.' }).waitFor();
    await card().locator('[data-field="spend"]', { hasText: 'of $40.00' }).waitFor({ timeout: 60_000 });
    const after = (await (await api('GET', `/v1/agents/${agentId}`)).json()) as { monthlyBudgetUsd?: number };
    assert.equal(after.monthlyBudgetUsd, 40);
  });

  it('passes the accessibility checks: contrast, and a label on every field, in the page and its dialogs', async () => {
    const page_ = await axeViolations(page);
    assert.deepEqual(page_, [], describeViolations(page_));
    await card().getByRole('button', { name: 'Change budget' }).click();
    const budget = await axeViolations(page, { selector: 'dialog' });
    await page.keyboard.press('Escape');
    assert.deepEqual(budget, [], describeViolations(budget));
    await page.getByRole('button', { name: 'Hire an agent' }).click();
    await page
      .getByRole('dialog', { name: 'Hire an agent' })
      .getByRole('button', { name: 'Hire', exact: true })
      .click();
    await page.getByRole('dialog').getByRole('alert').waitFor();
    const hire = await axeViolations(page, { selector: 'dialog' });
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    assert.deepEqual(hire, [], describeViolations(hire));
  });

  it("refuses bad input in the hire form with the API's own field errors", async () => {
    const bad = { name: `Bad Hire ${suffix}`, department: 'Engineering', manager: 'ceo' };
    // What the API says about this body, straight from it.
    const refused = await api('POST', '/v1/agents', bad);
    assert.equal(refused.status, 400);
    const { message } = (await refused.json()) as { message: string };
    const parts = message.split('; ');
    assert.ok(
      parts.some((part) => part.startsWith('body.title')) && parts.some((p) => p.startsWith('body.level')),
    );

    await page.getByRole('button', { name: 'Hire an agent' }).click();
    const dialog = page.getByRole('dialog', { name: 'Hire an agent' });
    await dialog.getByLabel('Name', { exact: true }).fill(bad.name);
    await dialog.getByLabel('Department', { exact: true }).fill(bad.department);
    await dialog.getByLabel('Manager (agent id, or ceo)', { exact: true }).fill(bad.manager);
    await dialog.getByRole('button', { name: 'Hire', exact: true }).click();
    await dialog.getByRole('alert').waitFor();
    for (const field of ['title', 'level']) {
      const shown = (await dialog.locator(`[data-error-for="${field}"]`).textContent()) ?? '';
      const said = parts.filter((part) => part.startsWith(`body.${field}`)).join(' ');
      assert.equal(shown, said, `${field}: the API's words`);
      assert.equal(await dialog.locator(`#hire-${field}`).getAttribute('aria-invalid'), 'true');
    }
    assert.equal(await dialog.locator('[data-error-for="name"]').count(), 0, 'a good field shows no error');

    // An org rule, not a schema: a manager nobody knows. Then a good hire goes through.
    await dialog.getByLabel('Title', { exact: true }).fill('Engineer');
    await dialog.getByLabel('Level', { exact: true }).selectOption('ic');
    await dialog.getByLabel('Manager (agent id, or ceo)', { exact: true }).fill(`nobody-${suffix}`);
    await dialog.getByRole('button', { name: 'Hire', exact: true }).click();
    await dialog.locator('[data-error-for="manager"]').waitFor();
    assert.equal(await dialog.locator('[data-error-for="title"]').count(), 0);
    const vp = sample.find((agent) => agent.level === 'vp');
    assert.ok(vp);
    await dialog.getByLabel('Manager (agent id, or ceo)', { exact: true }).fill(vp.agentId);
    await dialog.getByRole('button', { name: 'Hire', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    const hired = await api('GET', `/v1/agents/bad-hire-${suffix}`);
    assert.equal(hired.status, 200, 'the form hired through the API');
    await card().getByRole('heading', { name: bad.name }).waitFor();
    await row(`bad-hire-${suffix}`).waitFor();
  });

  it('retires an agent from its card, after a confirmation', async () => {
    const agentId = `bad-hire-${suffix}`;
    await card().getByRole('button', { name: 'Retire' }).click();
    const confirm = page.getByRole('dialog', { name: `Retire: Bad Hire ${suffix}` });
    await confirm.getByLabel('Reason (optional)').fill('hired by a test');
    await confirm.getByRole('button', { name: 'Retire' }).click();
    await card()
      .locator('[data-field="status"]', { hasText: /^retir/ })
      .waitFor();
    const after = (await (await api('GET', `/v1/agents/${agentId}`)).json()) as { status: string };
    assert.match(after.status, /^retir/);
  });
});
