// Mounts the dashboard on a uWebSockets.js app (the broker's admin server and the name server's):
//   GET  /, /ui/*          the single-page UI (plain HTML/CSS/JS, no build step)
//   GET  /console/api/*    JSON views;  POST /console/api/* admin actions (need the admin credentials)
//                          (under /console so the broker's own /api/broker, /api/topics, /api/groups stay)
//   WS   /ws/cluster       live put/get rates of every broker, one frame a second while watched
// The app type is kept structural so this package does not depend on the uWS binary.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DashboardApi, type RatesFrame } from './api.js';
import { encodeRatesFrame } from './rates-codec.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type UwsApp = any;
type UwsModule = { DISABLED: number };

const UI_DIR = new URL('../../ui/', import.meta.url);
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml', '.json': 'application/json; charset=utf-8',
};
const BODY_MAX = 1 << 20;
const RATES_TOPIC = 'dashboard-rates';
export const API_PREFIX = '/console';

function loadAssets(): Map<string, { type: string; body: Buffer }> {
  const out = new Map<string, { type: string; body: Buffer }>();
  const walk = (dir: URL, prefix: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) { walk(new URL(`${e.name}/`, dir), `${prefix}${e.name}/`); continue; }
      const ext = e.name.slice(e.name.lastIndexOf('.'));
      out.set(`${prefix}${e.name}`, { type: TYPES[ext] ?? 'application/octet-stream', body: fs.readFileSync(new URL(e.name, dir)) });
    }
  };
  walk(UI_DIR, '/ui/');
  // The generated FlatBuffers reader (compiled next to this file) and the flatbuffers runtime's ES modules.
  walk(new URL('./fb/', import.meta.url), '/ui/fb/');
  const fbMain = createRequire(import.meta.url).resolve('flatbuffers');
  walk(pathToFileURL(path.join(path.dirname(path.dirname(fbMain)), 'mjs') + path.sep), '/ui/vendor/flatbuffers/');
  for (const k of [...out.keys()]) if (k.endsWith('.d.ts') || k.endsWith('.map')) out.delete(k);
  return out;
}

export interface MountedDashboard {
  api: DashboardApi;
  /** Stops the rates timer and closes the admin client. */
  close(): Promise<void>;
}

export interface MountOptions {
  /** Live frame period. */
  ratesIntervalMs?: number;
  log?: { warn(msg: string): void };
}

export function mountDashboard(app: UwsApp, uWS: UwsModule, api: DashboardApi, opts: MountOptions = {}): MountedDashboard {
  const assets = loadAssets();
  const index = assets.get('/ui/index.html');
  const sendAsset = (res: any, a: { type: string; body: Buffer } | undefined) => {
    if (!a) { res.writeStatus('404 Not Found').writeHeader('Content-Type', 'text/plain').end('not found\n'); return; }
    res.writeStatus('200 OK').writeHeader('Content-Type', a.type).writeHeader('Cache-Control', 'no-cache').end(a.body);
  };
  app.get('/', (res: any) => sendAsset(res, index));
  app.get('/ui/*', (res: any, req: any) => sendAsset(res, assets.get(req.getUrl())));

  app.any(`${API_PREFIX}/api/*`, (res: any, req: any) => {
    const method = String(req.getMethod()).toUpperCase();
    const path = String(req.getUrl()).slice(API_PREFIX.length);
    const query = new URLSearchParams(req.getQuery() ?? '');
    const headers: Record<string, string> = {};
    req.forEach((k: string, v: string) => { headers[k.toLowerCase()] = v; });
    let aborted = false;
    res.onAborted(() => { aborted = true; });
    const respond = (status: number, body: unknown) => {
      if (aborted) return;
      const text = JSON.stringify(body);
      res.cork(() => {
        res.writeStatus(`${status} ${status === 200 ? 'OK' : 'Error'}`).writeHeader('Content-Type', 'application/json; charset=utf-8')
          .writeHeader('Cache-Control', 'no-store').end(text);
      });
    };
    const go = (body: Buffer) => {
      api.handle({ method, path, query, headers, body }).then((r) => respond(r.status, r.body), (e: Error) => respond(500, { error: e.message }));
    };
    if (method !== 'POST') { go(Buffer.alloc(0)); return; }
    const chunks: Buffer[] = [];
    let size = 0;
    res.onData((ab: ArrayBuffer, isLast: boolean) => {
      size += ab.byteLength;
      if (size <= BODY_MAX) chunks.push(Buffer.from(ab.slice(0)));
      if (!isLast) return;
      if (size > BODY_MAX) { respond(413, { error: 'request body too large' }); return; }
      go(Buffer.concat(chunks));
    });
  });

  let watchers = 0;
  app.ws('/ws/cluster', {
    compression: uWS.DISABLED,
    maxPayloadLength: 4096,
    maxBackpressure: 256 * 1024,
    closeOnBackpressureLimit: 1,
    idleTimeout: 0,
    open: (ws: any) => {
      watchers++;
      ws.subscribe(RATES_TOPIC);
      const last = (api as unknown as { lastFrame: RatesFrame | null }).lastFrame;
      if (last) ws.send(encodeRatesFrame(last), true);
    },
    close: () => { watchers--; },
  });

  let busy = false;
  const timer = setInterval(() => {
    if (watchers <= 0 || busy) return;
    busy = true;
    api.sampleRates().then((f) => {
      app.publish(RATES_TOPIC, encodeRatesFrame(f), true);
    }, (e: Error) => opts.log?.warn(`dashboard: rates sample failed: ${e.message}`)).finally(() => { busy = false; });
  }, opts.ratesIntervalMs ?? 1000);
  timer.unref();
  return {
    api,
    async close() {
      clearInterval(timer);
      await api.close();
    },
  };
}
