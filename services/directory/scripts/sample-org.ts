// Prints a sample company as an org file (docs/org-file.schema.json), YAML or JSON:
//   node services/directory/scripts/sample-org.ts --seed 7 --size 300 > org.yaml
//   pnpm ocf org plan org.yaml && pnpm ocf org apply org.yaml
// --format import prints the older one-shot import body instead ({agents: [...]}, POST /v1/org/import).
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { sampleCompany, sampleOrgFile } from '../src/sample/sample-company.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    size: { type: 'string', default: '1000' },
    format: { type: 'string', default: 'yaml' },
  },
});
const seed = Number(values.seed);
const size = Number(values.size);
const format = values.format;
if (
  !Number.isInteger(seed) ||
  !Number.isInteger(size) ||
  size < 10 ||
  size > 5000 ||
  !['yaml', 'json', 'import'].includes(format)
) {
  console.error(
    'usage: sample-org.ts [--seed <integer>] [--size <10-5000 agents>] [--format yaml|json|import]',
  );
  process.exit(2);
}
if (format === 'import')
  process.stdout.write(`${JSON.stringify({ agents: sampleCompany({ seed, size }) }, null, 2)}\n`);
else if (format === 'json')
  process.stdout.write(`${JSON.stringify(sampleOrgFile({ seed, size }), null, 2)}\n`);
else process.stdout.write(stringify(sampleOrgFile({ seed, size }), { lineWidth: 0 }));
