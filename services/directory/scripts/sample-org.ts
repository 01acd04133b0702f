// Prints a sample company as an org file for POST /v1/org/import:
//   node services/directory/scripts/sample-org.ts --seed 7 > org.json
//   curl -X POST localhost:8081/v1/org/import -H "authorization: Bearer $TOKEN" \
//        -H 'content-type: application/json' --data @org.json
import { parseArgs } from 'node:util';
import { sampleCompany } from '../src/sample/sample-company.ts';

const { values } = parseArgs({
  options: { seed: { type: 'string', default: '1' }, size: { type: 'string', default: '1000' } },
});
const seed = Number(values.seed);
const size = Number(values.size);
if (!Number.isInteger(seed) || !Number.isInteger(size) || size < 10 || size > 5000) {
  console.error('usage: sample-org.ts [--seed <integer>] [--size <10-5000 agents>]');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify({ agents: sampleCompany({ seed, size }) }, null, 2)}\n`);
