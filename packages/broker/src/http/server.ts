// Admin/metrics HTTP + WebSocket server on uWebSockets.js:
//   GET /            dashboard (self-contained HTML)
//   GET /metrics     Prometheus text
//   GET /api/broker  broker identity + current stats (JSON)
//   GET /api/topics  topics with per-queue offsets (JSON)
//   GET /api/groups  consumer groups (JSON)
//   WS  /ws          one JSON stats message per second: {"t": epochMs, "stats": {...}}
// Handlers are synchronous snapshots of the broker's getters, so every response is written inside
// the handler (uWS's implicit cork) and no abort handling is needed.

import uWS from '@trufflesuite/uws-js-unofficial';
import type { HttpResponse, TemplatedApp, us_listen_socket, WebSocket } from '@trufflesuite/uws-js-unofficial';
import type { AdminHttpContext, AdminHttpLogger } from './context.js';
import { DashboardApi, mountDashboard } from '@rmq/admin';
import { DASHBOARD_HTML } from './dashboard.js';
import { PROMETHEUS_CONTENT_TYPE, renderMetrics } from './metrics.js';

export interface AdminHttpServer {
  close(): void;
  /** Bound port; 0 when the server did not start (uWebSockets.js native binary unavailable). */
  readonly port: number;
}

export interface AdminHttpOptions {
  /** Interface to bind; the admin API has no authentication, so loopback unless told otherwise. */
  host?: string;
  /** WebSocket stats period. */
  statsIntervalMs?: number;
  /** Serves the cluster dashboard at "/" (this broker's one-page view moves to /local). Needs a name server. */
  dashboard?: { namesrvAddr: string; adminToken?: string; servedBy: string; acl?: boolean; authorize?: (headers: Record<string, string>) => boolean };
}

const STATS_TOPIC = 'stats';
/** Bounds: WebSocket clients, their backpressure, and what they may send us (nothing useful). */
export const WS_CLIENTS_MAX = 256;
const WS_BACKPRESSURE_BYTES_MAX = 256 * 1024;
const WS_PAYLOAD_BYTES_MAX = 4 * 1024;

const consoleLogger: AdminHttpLogger = {
  info: (m, ...a) => console.log(m, ...a),
  warn: (m, ...a) => console.warn(m, ...a),
  error: (m, ...a) => console.error(m, ...a),
};

/** The native build exposes SSLApp; the package's pure-JS fallback does not and is too slow to serve. */
export function uwsNativeAvailable(): boolean {
  return typeof (uWS as { SSLApp?: unknown }).SSLApp === 'function';
}

function send(res: HttpResponse, status: string, contentType: string, body: string): void {
  res.writeStatus(status).writeHeader('Content-Type', contentType).writeHeader('Cache-Control', 'no-store').end(body);
}

function route(res: HttpResponse, log: AdminHttpLogger, contentType: string, render: () => string): void {
  let body: string;
  try {
    body = render();
  } catch (e) {
    log.error(`admin http: ${(e as Error).stack ?? String(e)}`);
    send(res, '500 Internal Server Error', 'text/plain; charset=utf-8', `internal error: ${(e as Error).message}\n`);
    return;
  }
  send(res, '200 OK', contentType, body);
}

const JSON_TYPE = 'application/json; charset=utf-8';

function statsMessage(ctx: AdminHttpContext): string {
  return JSON.stringify({ t: Date.now(), stats: ctx.stats() });
}

function buildApp(ctx: AdminHttpContext, log: AdminHttpLogger, sockets: Set<WebSocket<unknown>>, dashboard: boolean): TemplatedApp {
  const app = uWS.App();
  app.get(dashboard ? '/local' : '/', (res) => send(res, '200 OK', 'text/html; charset=utf-8', DASHBOARD_HTML));
  app.get('/metrics', (res) => route(res, log, PROMETHEUS_CONTENT_TYPE, () => renderMetrics(ctx)));
  app.get('/api/broker', (res) => route(res, log, JSON_TYPE, () => {
    const info = ctx.brokerInfo();
    return JSON.stringify({ ...info, uptimeMs: Date.now() - info.startTimeMs, stats: ctx.stats() });
  }));
  app.get('/api/topics', (res) => route(res, log, JSON_TYPE, () => JSON.stringify(ctx.topics())));
  app.get('/api/groups', (res) => route(res, log, JSON_TYPE, () => JSON.stringify(ctx.groups())));
  app.ws<unknown>('/ws', {
    compression: uWS.DISABLED,
    maxPayloadLength: WS_PAYLOAD_BYTES_MAX,
    maxBackpressure: WS_BACKPRESSURE_BYTES_MAX,
    closeOnBackpressureLimit: 1,
    idleTimeout: 0,
    upgrade: (res, req, context) => {
      if (sockets.size >= WS_CLIENTS_MAX) {
        send(res, '503 Service Unavailable', 'text/plain; charset=utf-8', 'too many dashboard clients\n');
        return;
      }
      res.upgrade({}, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => {
      sockets.add(ws);
      ws.subscribe(STATS_TOPIC);
      // A first snapshot at once, so a new page does not wait for the next tick.
      try {
        ws.send(statsMessage(ctx), false);
      } catch (e) {
        log.warn(`admin http: stats snapshot failed: ${(e as Error).message}`);
      }
    },
    close: (ws) => {
      sockets.delete(ws);
    },
  });
  app.any('/*', (res) => send(res, '404 Not Found', 'text/plain; charset=utf-8', 'not found\n'));
  return app;
}

/**
 * Starts the admin server on `port` (0 = ephemeral). Resolves with the bound port, or port 0 and a
 * no-op close() when only the slow JS fallback of uWebSockets.js is available. Rejects if the
 * port cannot be bound.
 */
export function startAdminHttp(ctx: AdminHttpContext, port: number, opts: AdminHttpOptions = {}): Promise<AdminHttpServer> {
  const log = ctx.logger ?? consoleLogger;
  if (!uwsNativeAvailable()) {
    log.warn('admin http: uWebSockets.js native binary not loaded (JS fallback only); admin HTTP server not started');
    return Promise.resolve({ close() {}, port: 0 });
  }
  const host = opts.host ?? '127.0.0.1';
  const intervalMs = opts.statsIntervalMs ?? 1000;
  const sockets = new Set<WebSocket<unknown>>();
  const d = opts.dashboard && opts.dashboard.namesrvAddr.trim() !== '' ? opts.dashboard : null;
  const app = buildApp(ctx, log, sockets, d !== null);
  const mounted = d ? mountDashboard(app, uWS, new DashboardApi(d), { log }) : null;
  return new Promise((resolve, reject) => {
    app.listen(host, port, (listenSocket: us_listen_socket | false) => {
      if (!listenSocket) {
        reject(new Error(`admin http: cannot listen on ${host}:${port}`));
        return;
      }
      const boundPort = uWS.us_socket_local_port(listenSocket as never);
      const timer = setInterval(() => {
        if (app.numSubscribers(STATS_TOPIC) === 0) return;
        try {
          app.publish(STATS_TOPIC, statsMessage(ctx), false);
        } catch (e) {
          log.warn(`admin http: stats publish failed: ${(e as Error).message}`);
        }
      }, intervalMs);
      timer.unref();
      let closed = false;
      log.info(`admin http: listening on http://${host}:${boundPort}/ (metrics at /metrics)`);
      resolve({
        port: boundPort,
        close() {
          if (closed) return;
          closed = true;
          clearInterval(timer);
          void mounted?.close();
          for (const ws of [...sockets]) ws.end(1001, 'server shutting down');
          sockets.clear();
          // App.close() also drops idle keep-alive connections (a scraper's), which would otherwise
          // keep the process alive until uWS's idle timeout; older builds only close the listener.
          uWS.us_listen_socket_close(listenSocket);
          const closeApp = (app as unknown as { close?: () => void }).close;
          if (typeof closeApp === 'function') closeApp.call(app);
        },
      });
    });
  });
}
