/**
 * `npm run bench`: every performance figure of docs/design.md in one run, printed as a table for the README and written to
 * `artifacts/bench.json`. Exits 1 when a hard check fails (coalescing, the budget, a command not served)
 * or a scenario throws; timing targets are reported, not enforced.
 *
 * Options: `--smoke` runs the tiny configuration the tests use; `--json <path>` writes elsewhere.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FULL, runBench, SMOKE } from './bench.js';
import { evaluate, renderReport } from './report.js';

async function main(argv: readonly string[]): Promise<number> {
  const config = argv.includes('--smoke') ? SMOKE : FULL;
  const jsonAt = argv.indexOf('--json');
  const jsonPath = resolve(jsonAt >= 0 && argv[jsonAt + 1] ? argv[jsonAt + 1]! : 'artifacts/bench.json');
  const result = await runBench(config, (step) => process.stderr.write(`bench: ${step}…\n`));
  const checks = evaluate(result);
  process.stdout.write(`${renderReport(result, checks)}\n`);
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify({ ...result, checks }, null, 2)}\n`);
  process.stderr.write(`bench: wrote ${jsonPath}\n`);
  return checks.some((c) => c.hard && !c.ok) ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
