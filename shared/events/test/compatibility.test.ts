import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareCatalogues,
  compareSchemas,
  type JsonSchema,
  type SchemaChange,
} from '../src/compatibility.ts';
import { catalogueJsonSchemas } from '../src/json-schema.ts';

/** A detail schema shaped like the catalogue's: { metadata?, data }. */
function detail(
  properties: Record<string, JsonSchema>,
  required: string[],
  extra: Record<string, unknown> = {},
): JsonSchema {
  return {
    $id: 'urn:open-claw-fleet:event:Thing:v1',
    title: 'Thing v1',
    type: 'object',
    properties: { data: { type: 'object', properties, required, ...extra } },
    required: ['data'],
  };
}
const id = { type: 'string', minLength: 1 };
const level = { type: 'string', enum: ['ic', 'manager'] };
const base = detail({ agentId: id, level, team: { type: 'string' } }, ['agentId', 'level']);

const kinds = (changes: SchemaChange[]) => changes.map((c) => `${c.kind} ${c.at}: ${c.change}`);
const breakingOnly = (changes: SchemaChange[]) => changes.filter((c) => c.kind === 'breaking');

describe('schema compatibility: additive changes', () => {
  it('finds nothing when nothing changed but the words', () => {
    const reworded = { ...base, title: 'Thing, reworded', description: 'now documented' };
    assert.deepEqual(compareSchemas(base, reworded), []);
  });

  it('takes a new optional field as additive', () => {
    const next = detail({ agentId: id, level, team: { type: 'string' }, note: { type: 'string' } }, [
      'agentId',
      'level',
    ]);
    assert.deepEqual(kinds(compareSchemas(base, next, 'Thing.v1')), [
      'additive Thing.v1.data.note: new optional field',
    ]);
  });

  it('takes a new event type as additive', () => {
    assert.deepEqual(kinds(compareCatalogues({ 'Thing.v1': base }, { 'Thing.v1': base, 'Other.v1': base })), [
      'additive Other.v1: new event type',
    ]);
  });

  it('finds the real catalogue compatible with itself', () => {
    const schemas = catalogueJsonSchemas();
    assert.deepEqual(compareCatalogues(schemas, structuredClone(schemas)), []);
  });
});

describe('schema compatibility: breaking changes', () => {
  it('a removed field', () => {
    const next = detail({ agentId: id, level }, ['agentId', 'level']);
    assert.deepEqual(kinds(compareSchemas(base, next)), ['breaking data.team: field removed']);
  });

  it('a new required field', () => {
    const next = detail({ agentId: id, level, team: { type: 'string' }, cost: { type: 'number' } }, [
      'agentId',
      'level',
      'cost',
    ]);
    assert.deepEqual(kinds(compareSchemas(base, next)), ['breaking data.cost: new required field']);
  });

  it('an optional field made required, and a required one made optional', () => {
    const next = detail({ agentId: id, level, team: { type: 'string' } }, ['agentId', 'team']);
    assert.deepEqual(kinds(compareSchemas(base, next)), [
      'breaking data.level: required field made optional: consumers may rely on it',
      'breaking data.team: optional field made required',
    ]);
  });

  it('a narrowed type: fewer enum values, a tighter bound, another type', () => {
    const next = detail(
      {
        agentId: { type: 'string', minLength: 3 },
        level: { type: 'string', enum: ['ic'] },
        team: { type: 'integer' },
      },
      ['agentId', 'level'],
    );
    assert.deepEqual(kinds(compareSchemas(base, next)), [
      'breaking data.agentId: minLength changed from 1 to 3',
      'breaking data.level: enum no longer allows ["manager"] (narrowed)',
      'breaking data.team: type changed from "string" to "integer"',
    ]);
  });

  it('a widened enum, which old consumers refuse', () => {
    const next = detail({ agentId: id, level: { type: 'string', enum: ['ic', 'manager', 'vp'] }, team: {} }, [
      'agentId',
      'level',
    ]);
    const changes = breakingOnly(compareSchemas(base, next));
    assert.equal(changes.length, 2);
    assert.match(changes[0]?.change ?? '', /now allows \["vp"\].*\(widened\)/);
    assert.equal(changes[1]?.at, 'data.team');
  });

  it('a changed nested schema: items, and an alternative of anyOf', () => {
    const before = detail(
      { skills: { type: 'array', items: { type: 'string' } }, manager: { anyOf: [id, { const: 'ceo' }] } },
      [],
    );
    const after = detail(
      { skills: { type: 'array', items: { type: 'number' } }, manager: { anyOf: [id, { const: 'boss' }] } },
      [],
    );
    assert.deepEqual(kinds(compareSchemas(before, after)), [
      'breaking data.skills.[items]: type changed from "string" to "number"',
      'breaking data.manager.[anyOf 1]: const changed from "ceo" to "boss"',
    ]);
  });

  it('a removed event type', () => {
    assert.deepEqual(kinds(compareCatalogues({ 'Thing.v1': base, 'Other.v1': base }, { 'Thing.v1': base })), [
      'breaking Other.v1: event type removed',
    ]);
  });

  it('a breaking change to one real event among additive ones elsewhere', () => {
    const published = catalogueJsonSchemas();
    const next = structuredClone(published);
    const hired = next['AgentHired.v1'] as { properties: { data: { properties: Record<string, unknown> } } };
    delete hired.properties.data.properties['team'];
    hired.properties.data.properties['nickname'] = { type: 'string' };
    assert.deepEqual(kinds(compareCatalogues(published, next)), [
      'breaking AgentHired.v1.data.team: field removed',
      'additive AgentHired.v1.data.nickname: new optional field',
    ]);
  });
});
