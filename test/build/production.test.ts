/**
 * The production build is the bot alone: `tsconfig.build.json` compiles `src/` only, nothing in `src/` reaches
 * into `dev/` (simulators, demo, playground, benchmark) or `test/`, and the built bot with no credentials
 * fails like any configuration error, pointing to `npm run demo` instead of quietly serving a fake.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_HINT } from '../../src/main.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

describe('the production build', () => {
  let outDir: string;

  beforeAll(async () => {
    // Inside the repository, so the built files resolve their dependencies from its node_modules.
    outDir = mkdtempSync(join(root, '.build-test-'));
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir], { cwd: root });
  }, 120_000);

  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('holds only the bot: no simulator, demo, playground or benchmark', () => {
    const files = walk(outDir).map((file) => relative(outDir, file));
    expect(files).toContain('index.js');
    expect(files.filter((file) => /(^|\/)(sim|bench|playground|demo)([./]|$)/.test(file))).toEqual([]);
    for (const file of files.filter((f) => f.endsWith('.js'))) {
      expect(readFileSync(join(outDir, file), 'utf8'), file).not.toMatch(/from '[^']*\/(dev|test)\//);
    }
  });

  it('with no credentials exits non-zero, one line per variable, and points to the demo last', async () => {
    const failure = await run(process.execPath, [join(outDir, 'index.js')], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '' },
      timeout: 20_000,
    }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failure?.code).toBe(1);
    const lines = (failure?.stderr ?? '').trim().split('\n');
    expect(lines.at(-1)).toBe(DEMO_HINT);
    expect(lines.slice(0, -1).every((line) => line.startsWith('config: '))).toBe(true);
    expect(lines.join('\n')).toContain('SLACK_BOT_TOKEN');
  });
});

describe('src/', () => {
  it('imports nothing from dev/ or test/', () => {
    const offenders = walk(join(root, 'src'))
      .filter((file) => file.endsWith('.ts'))
      .filter((file) => /from '(\.\.\/)+(dev|test)\//.test(readFileSync(file, 'utf8')));
    expect(offenders.map((file) => relative(root, file))).toEqual([]);
  });
});
