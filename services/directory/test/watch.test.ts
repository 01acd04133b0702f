import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventSourceParserStream, type EventSourceMessage } from 'eventsource-parser/stream';
import { manager, testDirectory, vp } from './helpers.ts';

/** A watcher of GET /v1/watch/agents that keeps every message and lets the test wait for one. */
async function watch(baseUrl: string, headers: Record<string, string>) {
  const response = await fetch(`${baseUrl}/v1/watch/agents`, {
    headers: { ...headers, accept: 'text/event-stream' },
  });
  const messages: EventSourceMessage[] = [];
  const waiters: (() => void)[] = [];
  const done =
    response.body === null
      ? Promise.resolve()
      : (async () => {
          const stream = response
            .body!.pipeThrough(new TextDecoderStream())
            .pipeThrough(new EventSourceParserStream());
          for await (const message of stream) {
            messages.push(message);
            for (const wake of waiters.splice(0)) wake();
          }
        })();
  return {
    response,
    messages,
    done,
    /** Resolves with the messages once `test` holds for them. */
    async until(test: (all: EventSourceMessage[]) => boolean): Promise<EventSourceMessage[]> {
      while (!test(messages)) await new Promise<void>((resolve) => waiters.push(resolve));
      return messages;
    },
  };
}

const agentsIn = (messages: EventSourceMessage[]) =>
  messages
    .filter((m) => m.event === 'agent')
    .map((m) => JSON.parse(m.data) as { agentId: string; version: number; title: string });

describe('GET /v1/watch/agents', () => {
  it('sends every agent, then synced, then each change as it happens', async () => {
    const { app, hire, auth, readAuth } = await testDirectory({ watch: true });
    try {
      assert.equal((await hire(vp)).statusCode, 202);
      const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
      const watcher = await watch(baseUrl, readAuth);
      assert.equal(watcher.response.status, 200);
      assert.match(watcher.response.headers.get('content-type') ?? '', /text\/event-stream/);

      const snapshot = await watcher.until((all) => all.some((m) => m.event === 'synced'));
      assert.deepEqual(
        agentsIn(snapshot).map((a) => a.agentId),
        [vp.agentId],
      );

      assert.equal((await hire(manager)).statusCode, 202);
      const promoted = await app.inject({
        method: 'PATCH',
        url: `/v1/agents/${vp.agentId}`,
        headers: auth,
        payload: { title: 'SVP Engineering' },
      });
      assert.equal(promoted.statusCode, 200);
      const all = await watcher.until((messages) =>
        agentsIn(messages).some((a) => a.agentId === vp.agentId && a.title === 'SVP Engineering'),
      );
      const after = agentsIn(all.slice(all.findIndex((m) => m.event === 'synced')));
      assert.ok(
        after.some((a) => a.agentId === manager.agentId),
        'the new hire arrives',
      );
      const vpVersions = agentsIn(all)
        .filter((a) => a.agentId === vp.agentId)
        .map((a) => a.version);
      assert.ok(vpVersions.at(-1)! > vpVersions[0]!, 'the change carries a higher version');
    } finally {
      // Closing the directory ends open watch streams instead of waiting on them.
      await app.close();
    }
  });

  it('needs a token', async () => {
    const { app } = await testDirectory({ watch: true });
    try {
      const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
      const watcher = await watch(baseUrl, {});
      assert.equal(watcher.response.status, 401);
    } finally {
      await app.close();
    }
  });
});
