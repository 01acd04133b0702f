import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLoopGuard } from '../openclaw-plugin/loop-guard.ts';

describe('the loop guard between agents', () => {
  const guard = () =>
    createLoopGuard({ maxAgentTurns: 2, windowMs: 60_000, isAgent: (id) => id.startsWith('@agent-') });

  it('answers a few messages from another agent, then falls silent in that conversation only', () => {
    const g = guard();
    const fromBob = (now: number, conversationId = 'room1') =>
      g.admit({ conversationId, senderId: '@agent-bob:x', now }).admit;
    assert.equal(fromBob(0), true);
    assert.equal(fromBob(1000), true);
    assert.equal(fromBob(2000), false);
    assert.equal(fromBob(3000), false);
    assert.equal(fromBob(3000, 'room2'), true);
  });

  it('counts within the window, and lets a human restart the conversation', () => {
    const g = guard();
    const admit = (senderId: string, now: number) => g.admit({ conversationId: 'r', senderId, now }).admit;
    assert.equal(admit('@agent-bob:x', 0), true);
    assert.equal(admit('@agent-bob:x', 30_000), true);
    assert.equal(admit('@agent-bob:x', 30_001), false);
    assert.equal(admit('@agent-bob:x', 60_001), true, 'the first turn left the window');
    assert.equal(admit('@agent-bob:x', 60_002), false);
    assert.equal(admit('@human:x', 60_003), true, 'humans are always answered');
    assert.equal(admit('@agent-bob:x', 60_004), true, "a human's message resets the budget");
  });

  it('with a budget of zero never answers agents', () => {
    const g = createLoopGuard({ maxAgentTurns: 0, windowMs: 1000, isAgent: () => true });
    assert.deepEqual(g.admit({ conversationId: 'r', senderId: '@agent-a:x', now: 0 }), {
      admit: false,
      recentAgentTurns: 0,
    });
  });
});
