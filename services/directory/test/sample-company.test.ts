import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sampleCompany } from '../src/sample/sample-company.ts';
import { testDirectory } from './helpers.ts';

describe('sample company', () => {
  const company = sampleCompany({ seed: 7 });

  it('has 1,001 people: the CEO and 1,000 agents with unique ids', () => {
    assert.equal(company.length, 1000);
    assert.equal(new Set(company.map((a) => a.agentId)).size, 1000);
  });

  it('has nine departments, each with one VP, directors, managers and ICs', () => {
    const departments = [...new Set(company.filter((a) => a.level !== 'executive').map((a) => a.department))];
    assert.equal(departments.length, 9);
    for (const department of departments) {
      const levels = company.filter((a) => a.department === department).map((a) => a.level);
      assert.equal(levels.filter((l) => l === 'vp').length, 1, department);
      for (const level of ['director', 'manager', 'ic'] as const)
        assert.ok(levels.includes(level), `${department} has no ${level}`);
    }
  });

  it('is the same company for the same seed, and another for another', () => {
    assert.deepEqual(sampleCompany({ seed: 7 }), company);
    assert.notDeepEqual(
      sampleCompany({ seed: 8 }).map((a) => a.name),
      company.map((a) => a.name),
    );
  });

  it('gives two departments a team of the same name', () => {
    const platform = new Set(company.filter((a) => a.team === 'Platform').map((a) => a.department));
    assert.deepEqual([...platform].sort(), ['Engineering', 'Product']);
  });

  it('imports whole through the API, breaking no org rule', async () => {
    const { app, auth, store } = await testDirectory();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/org/import',
      headers: auth,
      payload: { agents: company },
    });
    assert.equal(response.statusCode, 200, response.body.slice(0, 500));
    assert.deepEqual(response.json(), { hired: 1000, unchanged: 0, refused: [] });
    assert.equal(store.agents.size, 1000);
  });
});
