import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SecretText } from '@ocf/secrets';
import { createDirectoryClient } from '../src/org/directory-client.ts';

const person = {
  agentId: 'ada',
  name: 'Ada Lovelace',
  title: 'Staff Engineer',
  level: 'ic',
  department: 'Engineering',
  manager: 'ceo',
  status: 'running',
};

/** A directory that wants one token and records what it was sent. */
function fakeDirectory(accepted: string, status = 200) {
  const seen: { url: string; authorization: string | null }[] = [];
  const fetch = (input: URL | string | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : input.toString();
    const authorization = new Headers(init?.headers).get('authorization');
    seen.push({ url, authorization });
    if (authorization !== `Bearer ${accepted}`)
      return Promise.resolve(new Response('{"error":"UNAUTHENTICATED"}', { status: 401 }));
    return Promise.resolve(
      Response.json(url.includes('/v1/agents/') ? person : { items: [person] }, { status }),
    );
  };
  return { fetch, seen };
}

describe("the agent's directory client", () => {
  it("sends the agent's own token on every read, in a header and never in the URL", async () => {
    const token = 'ocfa_ada.secret-mac-value';
    const directory = fakeDirectory(token);
    const client = createDirectoryClient('http://directory.test', {
      fetch: directory.fetch,
      token: new SecretText(token),
    });
    assert.deepEqual(
      (await client.listPeople()).map((p) => p.agentId),
      ['ada'],
    );
    assert.equal((await client.getPerson('ada'))?.name, 'Ada Lovelace');
    assert.equal(directory.seen.length, 2);
    for (const request of directory.seen) {
      assert.equal(request.authorization, `Bearer ${token}`);
      assert.ok(!request.url.includes(token));
    }
  });

  it('says why the directory refused, without the token, and whether trying again may help', async () => {
    const directory = fakeDirectory('ocfa_ada.the-right-one');
    const wrong = createDirectoryClient('http://directory.test', {
      fetch: directory.fetch,
      token: new SecretText('ocfa_ada.a-stale-one'),
    });
    await assert.rejects(wrong.listPeople(), (error: Error & { retryable: boolean }) => {
      assert.match(error.message, /refused this agent's token \(401\)/);
      assert.ok(!error.message.includes('a-stale-one'));
      return error.retryable;
    });
    const none = createDirectoryClient('http://directory.test', { fetch: directory.fetch });
    await assert.rejects(none.listPeople(), /no directory token yet; rotating its credentials writes one/);
  });
});
