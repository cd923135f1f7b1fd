/**
 * The upload step of Slack's file flow (files.getUploadURLExternal → POST the bytes → complete): parts of one
 * file, in the order given, sent as one body of `length` bytes through one reused buffer. Each chunk is read
 * only once the one before it has been handed to the socket, so an upload holds 256 KB whatever the file's
 * size. (fetch or undici's request with a file stream hold every chunk read until the garbage collector
 * runs: 25 MB of a 25 MB export, on a heap that an upload barely touches.)
 */
import { open } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** A run of bytes in the file. */
export interface FileRange {
  start: number;
  length: number;
}

const CHUNK_BYTES = 256 * 1024;

/** POSTs `ranges` of the file at `path` to `url`; resolves with the HTTP status, rejects when no answer came. */
export async function uploadRanges(
  url: string,
  path: string,
  ranges: readonly FileRange[],
  options: { contentType: string; signal: AbortSignal },
): Promise<number> {
  const length = ranges.reduce((sum, range) => sum + range.length, 0);
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const file = await open(path, 'r');
  try {
    return await new Promise<number>((resolve, reject) => {
      const req = send(target, {
        method: 'POST',
        headers: { 'content-type': options.contentType, 'content-length': String(length) },
        signal: options.signal,
      });
      req.on('error', reject);
      req.once('response', (res) => {
        res.on('error', reject);
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.resume();
      });
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(1, length)));
      const flushed = (bytes: Buffer) =>
        new Promise<void>((done, fail) => req.write(bytes, (error) => (error ? fail(error) : done())));
      (async () => {
        for (const range of ranges) {
          for (let at = range.start, end = range.start + range.length; at < end; ) {
            const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, end - at), at);
            if (bytesRead === 0) throw new Error('the file is shorter than the parts to upload');
            at += bytesRead;
            // Only once these bytes are the socket's may the buffer take the next ones.
            await flushed(buffer.subarray(0, bytesRead));
          }
        }
        req.end();
      })().catch((error: unknown) => {
        req.destroy(error instanceof Error ? error : new Error(String(error)));
        reject(error);
      });
    });
  } finally {
    await file.close();
  }
}
