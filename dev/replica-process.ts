/**
 * bulkjob replicas as real processes (dev/replica.ts), so a test or the benchmark can SIGKILL one; each
 * replica's log lines are kept.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface Replica {
  name: string;
  port: number;
  url: string;
  /** Every line the process wrote (JSON log lines, and anything on stderr). */
  logs: string[];
  process: ChildProcess;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Starts `entry` (dev/replica.ts, built) as a replica named `name`; resolves once it listens. */
export async function spawnReplica(
  entry: string,
  name: string,
  env: Record<string, string>,
  app: Record<string, unknown> = {},
): Promise<Replica> {
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env.PATH ?? '', ...env, BULKJOB_TEST_APP: JSON.stringify(app) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<number | string>((done) =>
    child.once('exit', (code, signal) => done(signal ?? code ?? 0)),
  );
  const port = await new Promise<number>((ready, fail) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        logs.push(line);
        const match = /^bulkjob-replica-listening (\d+)$/.exec(line);
        if (match) ready(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) =>
      fail(new Error(`replica ${name} exited (${code}) before listening:\n${logs.join('\n')}`)),
    );
  });
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}/slack/events`,
    logs,
    process: child,
    exited,
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
