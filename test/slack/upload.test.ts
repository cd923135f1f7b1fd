/**
 * The upload step: a file's byte ranges sent in the order given as one body of the right length, through
 * one small buffer; a file shorter than its ranges, or a server that hangs up, fails the upload.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadRanges } from '../../src/slack/upload.js';

const dir = mkdtempSync(join(tmpdir(), 'bulkjob-upload-'));
let server: Server;
let url: string;
const received: { length: string | undefined; body: Buffer }[] = [];

beforeAll(async () => {
  server = createServer(async (req, res) => {
    if (req.url === '/hang-up') {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      return; // the client gave up mid-body (the short-file case)
    }
    received.push({ length: req.headers['content-length'], body: Buffer.concat(chunks) });
    res.writeHead(req.url === '/refuse' ? 413 : 200).end('OK');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const options = () => ({ contentType: 'text/csv', signal: AbortSignal.timeout(10_000) });

describe('uploadRanges', () => {
  it('sends the ranges in the order given, as one body with its length, larger than its buffer', async () => {
    const path = join(dir, 'parts.bin');
    // Pages written as they arrived (3, 1, 2), each a megabyte: the upload puts them back in page order.
    const page = (n: number) => Buffer.alloc(1024 * 1024, 48 + n);
    writeFileSync(path, Buffer.concat([Buffer.from('H'), page(3), page(1), page(2)]));
    const mb = 1024 * 1024;
    const ranges = [
      { start: 0, length: 1 },
      { start: 1 + mb, length: mb },
      { start: 1 + 2 * mb, length: mb },
      { start: 1, length: mb },
    ];
    expect(await uploadRanges(`${url}/upload`, path, ranges, options())).toBe(200);
    const last = received.at(-1)!;
    expect(last.length).toBe(String(1 + 3 * mb));
    expect(last.body.equals(Buffer.concat([Buffer.from('H'), page(1), page(2), page(3)]))).toBe(true);
  });

  it('answers the status Slack gave', async () => {
    const path = join(dir, 'small.bin');
    writeFileSync(path, 'abc');
    expect(await uploadRanges(`${url}/refuse`, path, [{ start: 0, length: 3 }], options())).toBe(413);
  });

  it('fails when the file is shorter than its ranges, or the server hangs up', async () => {
    const path = join(dir, 'short.bin');
    writeFileSync(path, 'abc');
    await expect(uploadRanges(`${url}/upload`, path, [{ start: 0, length: 10 }], options())).rejects.toThrow(
      /shorter than the parts/,
    );
    await expect(uploadRanges(`${url}/hang-up`, path, [{ start: 0, length: 3 }], options())).rejects.toThrow();
  });
});
