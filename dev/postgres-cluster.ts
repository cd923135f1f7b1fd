/**
 * A throw-away PostgreSQL cluster for the tests and the benchmark: `initdb` into a temporary directory, started on a free
 * loopback port with durability off (a test database need not survive a power cut), removed afterwards.
 * PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user (Debian's
 * package creates it) and every server program runs through `runuser`.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One line a developer can act on, shown when the server programs are missing. */
export const POSTGRES_HINT =
  'PostgreSQL server programs (initdb, pg_ctl) not found: install them with `apt-get install -y postgresql` (or put their directory on PATH) to run the PostgreSQL suites.';

export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`: the superuser, trusted on loopback. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** The directory holding initdb and pg_ctl: PATH first, then Debian's versioned directories, newest first. */
export function findPostgresBin(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = (env.PATH ?? '').split(delimiter).filter(Boolean);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => join(debian, version, 'bin')));
  }
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
}

/** A loopback port free a moment ago (nothing listens on it until someone takes it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export async function startPostgresCluster(bin: string): Promise<PostgresCluster> {
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'bulkjob-pg-'));
  const data = join(dir, 'data');
  // As root: the postgres user must own the cluster, and reach it through the temporary directory.
  const pgUser = asRoot ? await postgresIds() : undefined;
  if (pgUser) {
    chownSync(dir, pgUser.uid, pgUser.gid);
    chmodSync(dir, 0o700);
  }
  const server = (program: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, program), ...args]) : run(join(bin, program), args);
  await server('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    "-c listen_addresses='127.0.0.1'",
    "-c unix_socket_directories=''",
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
  await server('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '30', 'start']);
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
    run('id', ['-u', 'postgres']),
    run('id', ['-g', 'postgres']),
  ]).catch(() => {
    throw new Error(
      'running as root, but there is no `postgres` user to run PostgreSQL as (PostgreSQL refuses root): install Debian’s postgresql package, which creates it',
    );
  });
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}
