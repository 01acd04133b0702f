import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createNaming, displayName, exclusiveNamespaces, NAMESPACE_PATTERN, slug } from '../src/naming.ts';
import { roomKey } from '../src/org-rooms.ts';

const ALIAS_SAFE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

describe('slug', () => {
  it('makes department and team names alias-safe, spaces and all', () => {
    assert.equal(slug('Research & Development'), 'research-and-development');
    assert.equal(slug('  Customer   Success '), 'customer-success');
    assert.equal(slug('Café Ops'), 'cafe-ops');
    assert.equal(slug('R&D / EMEA'), 'r-and-d-emea');
    assert.equal(slug('Platform'), slug('platform'), 'case does not make another room');
  });

  it('gives labels with nothing alias-safe in them a stable hash', () => {
    assert.match(slug('研究開発'), /^x-[0-9a-f]{8}$/);
    assert.equal(slug('研究開発'), slug('研究開発'));
    assert.notEqual(slug('研究開発'), slug('営業'));
  });

  it('cuts long labels and keeps them apart by a hash of the whole label', () => {
    const long = 'The Department of Very Long Names That Go On and On';
    assert.ok(slug(long).length <= 40);
    assert.notEqual(slug(`${long} A`), slug(`${long} B`));
  });

  it('is always alias-safe, short, and deterministic', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (label) => {
        const made = slug(label);
        assert.match(made, ALIAS_SAFE);
        assert.ok(made.length <= 40);
        assert.equal(slug(label), made);
      }),
    );
  });
});

describe('naming', () => {
  it("names an agent's user in the exclusive namespace, and reads the agent id back", () => {
    const naming = createNaming({ serverName: 'fleet.example.com' });
    assert.equal(naming.agentUserId('ada-lovelace'), '@agent-ada-lovelace:fleet.example.com');
    assert.equal(naming.agentIdOf('@agent-ada-lovelace:fleet.example.com'), 'ada-lovelace');
    assert.equal(naming.alias('all-employees'), '#org-all-employees:fleet.example.com');
    assert.equal(naming.aliasLocalpart('all-employees'), 'org-all-employees');
  });

  it("puts every agent and org room in the bridge's exclusive namespaces, whatever the fleet's namespace", () => {
    const owned = exclusiveNamespaces('fleet.example.com');
    assert.deepEqual(owned, {
      users: '@agent-.*:fleet\\.example\\.com',
      aliases: '#org-.*:fleet\\.example\\.com',
    });
    for (const namespace of [undefined, 'blue', 'staging-2']) {
      const naming = createNaming({ serverName: 'fleet.example.com', namespace });
      assert.match(naming.agentUserId('ada'), new RegExp(`^${owned.users}$`));
      assert.match(
        naming.alias(roomKey({ kind: 'leadership', department: 'Research' })),
        new RegExp(`^${owned.aliases}$`),
      );
      assert.match(
        naming.alias(roomKey({ kind: 'direct', managerId: 'ceo', reportId: 'ada' })),
        new RegExp(`^${owned.aliases}$`),
      );
    }
    assert.doesNotMatch('#org-x:fleetXexample.com', new RegExp(`^${owned.aliases}$`));
    assert.doesNotMatch(
      '#research-leadership:fleet.example.com',
      new RegExp(`^${owned.aliases}$`),
      "people's own aliases stay theirs",
    );
  });

  it('gives two namespaces on one homeserver disjoint user ids and aliases (two --env fleets)', () => {
    const agentIds = ['ada', 'blue', 'blue-ada', 'local', 'x1'];
    const rooms = [
      roomKey({ kind: 'all-employees' }),
      roomKey({ kind: 'leadership', department: 'Research' }),
      roomKey({ kind: 'team', department: 'Research', team: 'Blue' }),
      roomKey({ kind: 'direct', managerId: 'ceo', reportId: 'ada' }),
    ];
    const names = (namespace: string | undefined) => {
      const naming = createNaming({ serverName: 'localhost', namespace });
      return new Set([
        ...agentIds.map((id) => naming.agentUserId(id)),
        ...rooms.map((key) => naming.alias(key)),
      ]);
    };
    const fleets = [undefined, 'blue', 'blue-ada', 'staging'].map(names);
    for (const [i, one] of fleets.entries()) {
      for (const other of fleets.slice(i + 1)) {
        assert.deepEqual(
          [...one].filter((name) => other.has(name)),
          [],
        );
      }
    }
    const blue = createNaming({ serverName: 'localhost', namespace: 'blue' });
    assert.equal(createNaming({ serverName: 'localhost' }).agentIdOf(blue.agentUserId('ada')), undefined);
  });

  it("refuses a namespace that could spell another fleet's names", () => {
    for (const namespace of ['', 'Blue', 'a_b', '-blue', 'x'.repeat(32)]) {
      assert.throws(() => createNaming({ serverName: 'hs', namespace }), /namespace/);
    }
    assert.ok(NAMESPACE_PATTERN.test('x'.repeat(31)), 'as long as an environment name may be');
  });

  it('keeps namespaces apart both ways', () => {
    const blue = createNaming({ serverName: 'hs', namespace: 'blue' });
    const plain = createNaming({ serverName: 'hs' });
    assert.equal(blue.agentUserId('ada'), '@agent-blue_ada:hs');
    assert.equal(blue.aliasLocalpart('all-employees'), 'org-blue_all-employees');
    assert.equal(blue.agentIdOf('@agent-ada:hs'), undefined);
    assert.equal(plain.agentIdOf('@agent-blue_ada:hs'), undefined, 'not an agent id of the plain fleet');
    assert.equal(blue.agentIdOf('@agent-blue_ada:other'), undefined, 'another server');
    assert.equal(plain.agentIdOf('@fleet-bot:hs'), undefined);
  });

  it("gives the affixes every agent's user id has, and no other fleet's", () => {
    const naming = createNaming({ serverName: 'example.org', namespace: 't1' });
    const { prefix, suffix } = naming.agentUserIdAffixes;
    const isAgent = (userId: string) => userId.startsWith(prefix) && userId.endsWith(suffix);
    assert.ok(isAgent(naming.agentUserId('bob')));
    assert.ok(isAgent('@agent-t1_bob:example.org'));
    assert.ok(!isAgent('@agent-t2_bob:example.org'));
    assert.ok(!isAgent('@agent-t1_bob:example.com'));
  });

  it('shows an agent as "Name — Title"', () => {
    assert.equal(
      displayName({ name: 'Ada Lovelace', title: 'Staff Engineer' }),
      'Ada Lovelace — Staff Engineer',
    );
  });
});
