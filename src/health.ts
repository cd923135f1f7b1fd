/**
 * The operational routes, declared once: Bolt's HTTP receiver mounts them as custom routes, and in Socket
 * Mode (no HTTP server of Bolt's) a small server of our own serves the same handlers, so probes and scrapes
 * work in both modes.
 *
 * - `GET /healthz` — liveness, cheap: 200 `{"ok":true}` while running; 503 `{"ok":false}` once a stop has begun.
 * - `GET /readyz` — readiness: 503 `{"ok":false,"reason":…}` while the store is not ok or a stop has begun.
 * - `GET /metrics` — Prometheus text format (src/metrics.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { ReadinessCheck } from './readiness.js';

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';
export const METRICS_PATH = '/metrics';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The shape of Bolt's `customRoutes` entries. */
export interface HttpRoute {
  path: string;
  method: string[];
  handler: Handler;
}

export interface OperationalDeps {
  isHealthy: () => boolean;
  readiness: ReadinessCheck;
  metrics: Metrics;
  logger: Logger;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function healthHandler(isHealthy: () => boolean): Handler {
  return (_req, res) => {
    const ok = isHealthy();
    sendJson(res, ok ? 200 : 503, { ok });
  };
}

/** `/healthz`, `/readyz` and `/metrics`, for Bolt's `customRoutes` and `startOperationalServer`. */
export function operationalRoutes(deps: OperationalDeps): HttpRoute[] {
  const ready: Handler = (_req, res) => {
    void deps.readiness.check().then((readiness) => sendJson(res, readiness.ok ? 200 : 503, readiness));
  };
  const metrics: Handler = (_req, res) => {
    deps.metrics.render().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType });
        res.end(body);
      },
      (err: unknown) => {
        deps.logger.error({ err }, 'metrics: could not render');
        sendJson(res, 500, { error: 'metrics_failed' });
      },
    );
  };
  return [
    { path: HEALTH_PATH, method: ['GET'], handler: healthHandler(deps.isHealthy) },
    { path: READY_PATH, method: ['GET'], handler: ready },
    { path: METRICS_PATH, method: ['GET'], handler: metrics },
  ];
}

/** A server that answers `routes` (GET only) and 404s everything else; resolves with it and its bound port. */
export function startOperationalServer(
  routes: HttpRoute[],
  port: number,
  host: string | undefined,
): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      const route = routes.find((r) => r.path === path && r.method.includes(req.method ?? ''));
      if (route) return route.handler(req, res);
      sendJson(res, 404, { error: 'not_found' });
    });
    server.once('error', reject);
    server.listen(port, host, () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}
