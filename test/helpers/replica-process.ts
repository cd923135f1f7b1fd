/**
 * bulkjob replicas as real processes for the tests: dev/replica.ts bundled once per test process with vite
 * (bare imports stay external and resolve from node_modules, so the bundle lives under node_modules/.cache),
 * started by dev/replica-process.ts.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Replica, spawnReplica } from '../../dev/replica-process.js';

export type { Replica } from '../../dev/replica-process.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT_DIR = join(ROOT, 'node_modules', '.cache', 'bulkjob-test-replica');

let built: Promise<string> | undefined;

/** Bundles the replica entry (about half a second), once per test process. */
export function replicaEntry(): Promise<string> {
  built ??= (async () => {
    mkdirSync(OUT_DIR, { recursive: true });
    const { build } = await import('vite');
    await build({
      configFile: false,
      logLevel: 'warn',
      root: ROOT,
      build: {
        ssr: join(ROOT, 'dev', 'replica.ts'),
        outDir: OUT_DIR,
        emptyOutDir: true,
        minify: false,
        target: 'node20',
        rollupOptions: { output: { entryFileNames: 'replica.mjs' } },
      },
    });
    return join(OUT_DIR, 'replica.mjs');
  })();
  return built;
}

export async function startReplica(
  name: string,
  env: Record<string, string>,
  app: Record<string, unknown> = {},
): Promise<Replica> {
  return spawnReplica(await replicaEntry(), name, env, app);
}
