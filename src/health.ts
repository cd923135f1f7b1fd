/**
 * `GET /healthz`, once: Bolt's HTTP receiver mounts it as a custom route, and in Socket Mode (no HTTP server of
 * Bolt's) a small server of our own serves the same handler, so the container's HEALTHCHECK works in both.
 * 200 `{"ok":true}` while running; 503 `{"ok":false}` once a stop has begun.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const HEALTH_PATH = '/healthz';

export function healthHandler(isHealthy: () => boolean) {
  return (_req: IncomingMessage, res: ServerResponse): void => {
    const ok = isHealthy();
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok }));
  };
}

/** A server that answers `GET /healthz` and 404s everything else; resolves with it and its bound port. */
export function startHealthServer(
  isHealthy: () => boolean,
  port: number,
  host: string | undefined,
): Promise<{ server: Server; port: number }> {
  const handle = healthHandler(isHealthy);
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === HEALTH_PATH) return handle(req, res);
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'not_found' }));
    });
    server.once('error', reject);
    server.listen(port, host, () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}
