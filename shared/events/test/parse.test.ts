import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  catalogue,
  createEvent,
  escapeControlCharacters,
  eventTypes,
  parseEventMessage,
  toDetail,
} from '../src/index.ts';

/** An EventBridge event as an SQS target receives it. */
function eventBridgeBody(
  detailType: string,
  detail: unknown,
  overrides: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    version: '0',
    id: 'eb-0001',
    'detail-type': detailType,
    source: 'hr.example',
    account: '123456789012',
    time: '2026-11-25T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
    ...overrides,
  });
}

describe('parseEventMessage', () => {
  it('parses what createEvent produced, keeping its metadata', () => {
    const draft = createEvent('AgentHired', catalogue.AgentHired.example, { correlationId: 'corr-1' });
    const result = parseEventMessage(eventBridgeBody('AgentHired', JSON.parse(toDetail(draft))));
    assert.ok(result.ok, JSON.stringify(result));
    const { event } = result;
    if (event.type !== 'AgentHired') assert.fail(`parsed as ${event.type}`);
    assert.equal(event.data.name, 'Ada Lovelace');
    assert.deepEqual(event.metadata, draft.metadata);
    assert.equal(event.metadata.correlationId, 'corr-1');
    assert.equal(event.source, 'hr.example');
  });

  it("fills missing metadata from EventBridge's envelope, so a raw put-events is accepted", () => {
    const result = parseEventMessage(eventBridgeBody('AgentRetired', { data: { agentId: 'ada-lovelace' } }));
    assert.ok(result.ok);
    assert.equal(result.event.metadata.eventId, 'eb-0001');
    assert.equal(result.event.metadata.correlationId, 'eb-0001');
    assert.equal(result.event.metadata.occurredAt, '2026-11-25T10:00:00.000Z');
    assert.equal(result.event.metadata.schemaVersion, 1);
  });

  const rejections: [string, string, string][] = [
    ['not JSON', '{"detail-type": ', 'malformed-json'],
    ['not an EventBridge event', JSON.stringify({ hello: 'world' }), 'invalid-envelope'],
    ['an unknown detail-type', eventBridgeBody('AgentTeleported', { data: {} }), 'unknown-type'],
    [
      'a future schema version',
      eventBridgeBody('AgentRetired', { metadata: { schemaVersion: 2 }, data: { agentId: 'ab' } }),
      'unsupported-version',
    ],
    [
      'bad metadata',
      eventBridgeBody('AgentRetired', { metadata: { occurredAt: 'yesterday' }, data: { agentId: 'ab' } }),
      'invalid-metadata',
    ],
    ['missing data', eventBridgeBody('AgentRetired', {}), 'invalid-data'],
  ];
  for (const [what, body, reason] of rejections) {
    it(`rejects ${what} with reason ${reason}`, () => {
      const result = parseEventMessage(body);
      if (result.ok) assert.fail(`accepted ${body}`);
      assert.equal(result.rejection.reason, reason);
      assert.ok(result.rejection.message.length > 0);
    });
  }

  it('keeps what could be read of a known type it rejects, for an answer to its publisher', () => {
    const result = parseEventMessage(
      eventBridgeBody('AgentHired', {
        data: { agentId: 'ada', level: 'emperor' },
        metadata: { correlationId: 'c-1' },
      }),
    );
    if (result.ok) assert.fail('accepted invalid data');
    assert.deepEqual(result.rejection.request, {
      source: 'hr.example',
      correlationId: 'c-1',
      data: { agentId: 'ada', level: 'emperor' },
    });
    const unknown = parseEventMessage(eventBridgeBody('AgentHried', { data: { agentId: 'ada' } }));
    if (unknown.ok) assert.fail('accepted an unknown type');
    assert.equal(unknown.rejection.request, undefined);
  });

  it('names every field at fault in invalid data', () => {
    const result = parseEventMessage(
      eventBridgeBody('AgentHired', {
        data: { ...catalogue.AgentHired.example, agentId: 'Not A Slug', level: 'overlord' },
      }),
    );
    if (result.ok) assert.fail('accepted invalid data');
    assert.equal(result.rejection.reason, 'invalid-data');
    assert.match(result.rejection.message, /data\.agentId: must be 2-48 lowercase/);
    assert.match(result.rejection.message, /data\.level:/);
    assert.equal(result.rejection.eventId, 'eb-0001');
    assert.equal(result.rejection.type, 'AgentHired');
  });

  it('never throws and never accepts garbage, whatever the body (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (body) => {
          const result = parseEventMessage(body);
          if (result.ok) assert.fail(`accepted ${body}`);
          assert.ok(result.rejection.message.length > 0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects any corruption of a valid event with a reason (property)', () => {
    const valid = catalogue.AgentHired.example as Record<string, unknown>;
    const corruptData = fc
      .dictionary(fc.constantFrom(...Object.keys(valid), 'extra'), fc.jsonValue())
      .map((patch) => ({ ...valid, ...patch }));
    fc.assert(
      fc.property(corruptData, (data) => {
        const result = parseEventMessage(eventBridgeBody('AgentHired', { data }));
        if (!result.ok) {
          assert.equal(result.rejection.reason, 'invalid-data');
          return;
        }
        // Accepted only if the catalogue schema itself accepts the data.
        assert.ok(catalogue.AgentHired.schema.safeParse(data).success);
      }),
      { numRuns: 300 },
    );
  });
});

describe('createEvent', () => {
  it('refuses invalid data with a non-retryable error naming the field', () => {
    assert.throws(
      () => createEvent('AgentRetired', { agentId: '-' }),
      (error: unknown) => {
        const e = error as { code: string; retryable: boolean; message: string };
        return e.code === 'EVENT_INVALID' && !e.retryable && /data\.agentId/.test(e.message);
      },
    );
  });

  it('starts a new correlation unless one is given', () => {
    const first = createEvent('AgentRetired', { agentId: 'ab' });
    assert.equal(first.metadata.correlationId, first.metadata.eventId);
    const caused = createEvent(
      'CascadeStepFailed',
      { agentId: 'ab', step: 'task', reason: 'x' },
      {
        correlationId: first.metadata.correlationId,
        causationId: first.metadata.eventId,
      },
    );
    assert.equal(caused.metadata.correlationId, first.metadata.eventId);
    assert.equal(caused.metadata.causationId, first.metadata.eventId);
  });
});

describe('catalogue', () => {
  for (const type of eventTypes) {
    it(`${type}: its documented example is valid`, () => {
      assert.ok(catalogue[type].schema.safeParse(catalogue[type].example).success);
    });
  }
});

describe('control characters in text fields', () => {
  const controls = [
    ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)),
    '\u007f',
    ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(0x80 + i)),
  ];

  it('refuses every C0, DEL and C1 character, naming the field, and keeps other Unicode', () => {
    for (const control of controls) {
      for (const field of ['name', 'title', 'department', 'team', 'roleTemplate', 'model'] as const) {
        const data = { ...catalogue.AgentHired.example, [field]: `Ada${control}Lovelace` };
        const result = parseEventMessage(eventBridgeBody('AgentHired', { data }));
        assert.equal(result.ok, false, `U+${control.charCodeAt(0).toString(16)} in ${field}`);
        assert.equal(result.rejection.reason, 'invalid-data');
        assert.match(
          result.rejection.message,
          new RegExp(`data\\.${field}: must not contain control characters`),
        );
      }
    }
    const fine = { ...catalogue.AgentHired.example, name: 'Ada Lövelace 李 🚀\u00a0' };
    assert.equal(parseEventMessage(eventBridgeBody('AgentHired', { data: fine })).ok, true);
  });

  it('refuses them in reasons, skills and metadata too', () => {
    const cases: [string, unknown, RegExp][] = [
      ['AgentRetired', { data: { agentId: 'ada-lovelace', reason: 'bye\u001b[2J' } }, /data\.reason/],
      [
        'AgentHired',
        { data: { ...catalogue.AgentHired.example, skills: ['ok', 'x\u0007'] } },
        /data\.skills\.1/,
      ],
      [
        'AgentRetired',
        { metadata: { correlationId: 'c\u009b1' }, data: { agentId: 'ada-lovelace' } },
        /metadata: correlationId/,
      ],
    ];
    for (const [type, detail, field] of cases) {
      const result = parseEventMessage(eventBridgeBody(type, detail));
      assert.equal(result.ok, false, JSON.stringify(detail));
      assert.match(result.rejection.message, field);
    }
  });

  it('is refused when publishing as well (createEvent), so the fleet never emits one', () => {
    assert.throws(
      () => createEvent('AgentRetired', { agentId: 'ada-lovelace', reason: 'x\u0085' }),
      /reason/,
    );
  });

  it("lets the fleet's own reasons (error messages) through once their control characters are shown as codes", () => {
    const reason = escapeControlCharacters('synapse said:\n\u001b[31mM_FORBIDDEN\u0085');
    assert.equal(reason, 'synapse said:\\u000a\\u001b[31mM_FORBIDDEN\\u0085');
    assert.doesNotThrow(() =>
      createEvent('CascadeStepFailed', { agentId: 'ada-lovelace', step: 'chat-account', reason }),
    );
  });
});
