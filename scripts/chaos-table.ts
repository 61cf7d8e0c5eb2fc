/**
 * `npm run chaos:table -- <report.jsonl> [--readme README.md] [--print]`: renders the per-class table from ONE
 * chaos run's report (the path `npm run test:chaos` prints at its end) into README.md between the
 * `<!-- chaos-table:begin … -->` and `<!-- chaos-table:end -->` markers, or prints it (`--print`).
 * Bad input: one line on stderr, exit 2.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseReport, renderClassTable, replaceTable } from '../test/chaos/class-table.js';

function fail(message: string): never {
  process.stderr.write(`chaos:table: ${message}\n`);
  process.exit(2);
}

const options = { readme: { type: 'string', default: 'README.md' }, print: { type: 'boolean', default: false } } as const;
let args: ReturnType<typeof parseArgs<{ allowPositionals: true; options: typeof options }>>;
try {
  args = parseArgs({ allowPositionals: true, options });
} catch (err) {
  fail(`${(err as Error).message}; usage: npm run chaos:table -- <report.jsonl> [--readme README.md] [--print]`);
}
const [report] = args.positionals;
if (!report || args.positionals.length > 1) fail('give one report file: npm run chaos:table -- <report.jsonl> (its path is printed at the end of npm run test:chaos)');

let block: string;
try {
  block = renderClassTable(parseReport(readFileSync(report, 'utf8')));
} catch (err) {
  fail(`${report}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
}
if (args.values.print) {
  process.stdout.write(`${block}\n`);
} else {
  const readme = args.values.readme;
  let text: string;
  try {
    text = readFileSync(readme, 'utf8');
  } catch {
    fail(`cannot read ${readme}`);
  }
  try {
    writeFileSync(readme, replaceTable(text, block));
  } catch (err) {
    fail(`${readme}: ${(err as Error).message}`);
  }
  process.stdout.write(`chaos:table: ${readme} updated from ${report}\n`);
}
