import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { currentTurn } from '../../agent-container/test/support/fake-openai.ts';
import { launchChromium } from '../support/browser.ts';
import { startSleepFleet, type SleepFleet } from '../support/sleep-fleet.ts';

const ANSWER = 'Hello from the Platform team, answering the console.';

// Talking to an agent from the web console (ADR 0025): the five services as processes, a real
// OpenClaw agent started by provisioning, the fake model as the only stand-in; the person is the
// human CEO, signed in to Synapse from the page, in a direct chat with the agent that the page
// opens and the bridge accepts for the agent.
describe('talking to an agent from the console', { timeout: 420_000 }, () => {
  let fleet: SleepFleet;
  let browser: Browser | undefined;
  const agentId = 'console-chat-ada';

  before(async () => {
    // Installed once per machine (network to the npm registry the first time), like the image build.
    execFileSync(
      process.execPath,
      [join(resolve(import.meta.dirname, '../..'), 'agent-container/scripts/install-openclaw-plugins.ts')],
      { stdio: 'inherit' },
    );
    fleet = await startSleepFleet({
      name: 'console-chat',
      model: (request) =>
        currentTurn(request).said.includes('how is the launch going') ? { text: ANSWER } : { text: 'Noted.' },
    });
    await fleet.hire({
      agentId,
      name: 'Ada Console',
      title: 'Engineering Manager',
      level: 'vp',
      department: 'Engineering',
      manager: 'ceo',
      wakePolicy: 'always-on',
    });
    await fleet.untilStatus(agentId, 'running');
    await fleet.untilListening(agentId);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await fleet.stop();
  });

  it("opens the agent's chat from its card, as the CEO, and shows its answer as it arrives", async () => {
    assert.ok(browser);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${fleet.directoryUrl}/console/`);
    await page.getByLabel('API token').fill(fleet.token);
    await page.getByRole('button', { name: 'Open the console' }).click();
    await page.locator(`[role="treeitem"][data-agent="${agentId}"]`).click();
    await page.getByRole('button', { name: 'Talk to Ada Console' }).click();
    const localpart = fleet.person.userId.slice(1).split(':')[0] ?? '';
    await page.getByLabel('Matrix user', { exact: true }).fill(localpart);
    await page.getByLabel('Password', { exact: true }).fill(fleet.person.password);
    await page.getByRole('button', { name: 'Sign in to chat' }).click();
    const input = page.getByLabel('Message to Ada Console');
    // Enabled once the page has joined the agent's room.
    await page.locator('#chat-message:not([disabled])').waitFor({ timeout: 60_000 });
    await input.fill('how is the launch going?');
    await page.getByRole('button', { name: 'Send' }).click();
    const answer = page.locator('.chat [data-sender="agent"]', { hasText: ANSWER });
    await answer.waitFor({ timeout: 150_000 });
    // A direct chat: one room in the person's m.direct for the agent, the two of them in it.
    const agentUserId = fleet.naming.agentUserId(agentId);
    const direct = await fleet.person.client.getAccountData<Record<string, string[]>>('m.direct');
    const rooms = direct[agentUserId] ?? [];
    assert.equal(rooms.length, 1, JSON.stringify(direct));
    const members = await fleet.person.client.getJoinedRoomMembers(rooms[0] ?? '');
    assert.deepEqual(members.sort(), [fleet.person.userId, agentUserId].sort());
    // The person's password went to the homeserver only: not into a URL, not to the directory.
    assert.ok(!page.url().includes(fleet.person.password));
    const directoryLog = fleet.services[0]?.output.join('\n') ?? '';
    assert.ok(!directoryLog.includes(fleet.person.password), 'the password is not in the directory log');
    await page.close();
  });
});
