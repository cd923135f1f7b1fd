/**
 * Finds a Chromium for the browser tests, in this order:
 *  1. `CHROMIUM_PATH`, when set (it must exist);
 *  2. Debian's `/usr/bin/chromium`, when it exists (skipped with BULKJOB_TEST_NO_SYSTEM_CHROMIUM=1, which
 *     lets a machine that has it check step 3 without hiding the system binary);
 *  3. on Linux, the Chromium shipped compressed inside the `@sparticuz/chromium` npm package (unpacked to
 *     /tmp on first use; nothing is downloaded).
 * Where none is found (e.g. macOS) it returns `{ skip }` with a one-line reason, except under CI
 * (`CI=true`), where it throws: CI must never skip the browser tests silently.
 */
import { existsSync } from 'node:fs';

export type FoundChromium = { executablePath: string; args: string[] };

const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** What the browser tests have always passed to Debian's Chromium; also added to the others. */
const BASE_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Flags that keep a test browser quiet; added to a bundled Chromium's own args where missing. */
const QUIET_ARGS = [
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function findChromium(): Promise<FoundChromium | { skip: string }> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) {
      throw new Error(
        `CHROMIUM_PATH is set to ${fromEnv}, but no file is there: point it at a Chrome/Chromium binary.`,
      );
    }
    return { executablePath: fromEnv, args: BASE_ARGS };
  }
  if (process.env.BULKJOB_TEST_NO_SYSTEM_CHROMIUM !== '1' && existsSync(SYSTEM_CHROMIUM)) {
    return { executablePath: SYSTEM_CHROMIUM, args: BASE_ARGS };
  }
  if (process.platform === 'linux') {
    const { default: chromium } = await import('@sparticuz/chromium');
    const executablePath = await chromium.executablePath();
    const own = chromium.args;
    const args = [...own, ...QUIET_ARGS.filter((arg) => !own.includes(arg))];
    if (!args.some((arg) => arg.startsWith('--headless'))) args.push('--headless');
    return { executablePath, args };
  }
  const skip = 'Browser tests skipped: no Chromium found; set CHROMIUM_PATH to a Chrome/Chromium binary to run them.';
  if (process.env.CI === 'true') throw new Error(`${skip} (CI never skips them.)`);
  return { skip };
}
