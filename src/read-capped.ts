/**
 * Reading a body from a stream without trusting its size: the bytes, or undefined as soon as they pass
 * `max` (the rest is not read, and leaving the loop ends the stream). For Slack's requests and
 * Cloudflare's answers alike.
 */
export async function readUpTo(stream: AsyncIterable<unknown>, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > max) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
