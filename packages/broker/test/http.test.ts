// Admin HTTP server: endpoints, Prometheus text, and the /ws stats stream (raw RFC 6455 client).
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import {
  startAdminHttp, uwsNativeAvailable, LatencyHistogram, renderMetrics, type AdminHttpContext,
} from '../src/http/index.js';

const hist = new LatencyHistogram();
for (const ms of [0.05, 0.3, 0.3, 2, 7000]) hist.record(ms);

let putTotal = 10;
const ctx: AdminHttpContext = {
  brokerInfo: () => ({
    brokerClusterName: 'DefaultCluster', brokerName: 'broker-a', brokerId: 0, brokerAddr: '127.0.0.1:10911',
    brokerRole: 'ASYNC_MASTER', version: 'V4_9_8', startTimeMs: Date.now() - 5000,
  }),
  stats: () => ({
    messagesPutTotal: putTotal, messagesGotTotal: 7, bytesPutTotal: 1000, putLatency: hist.snapshot(),
    commitLogMinOffset: 0, commitLogMaxOffset: 4096, dispatchBehindBytes: 0, pageCacheBytes: 1 << 20, connections: 3,
  }),
  topics: () => [
    { topic: 'FixtureTopic', readQueueNums: 2, writeQueueNums: 2, perm: 6,
      queues: [{ queueId: 0, minOffset: 0, maxOffset: 5 }, { queueId: 1, minOffset: 1, maxOffset: 4 }] },
    { topic: 'we"ird\\name', readQueueNums: 1, writeQueueNums: 1, perm: 6, queues: [{ queueId: 0, minOffset: 0, maxOffset: 0 }] },
  ],
  groups: () => [{ group: 'FixtureConsumerGroup', online: 2, messageModel: 'CLUSTERING', diffTotal: 3 }],
  logger: { info() {}, warn() {}, error() {} },
};

function get(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks).toString('utf8'),
      }));
    });
    req.on('error', reject);
  });
}

/** Opens /ws and returns the first `n` text messages the server pushes. */
function wsMessages(port: number, n: number, onMessage?: (text: string) => void): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, path: '/ws', agent: false,
      headers: {
        Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      },
    });
    req.on('error', reject);
    req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
    req.on('upgrade', (_res, socket: Socket, head: Buffer) => {
      let buf = head;
      const out: string[] = [];
      const parse = (): void => {
        for (;;) {
          if (buf.length < 2) return;
          let len = buf[1]! & 0x7f;
          let off = 2;
          if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
          else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
          if (buf.length < off + len) return;
          const opcode = buf[0]! & 0x0f;
          if (opcode === 1) {
            const text = buf.subarray(off, off + len).toString('utf8');
            out.push(text);
            onMessage?.(text);
          }
          buf = buf.subarray(off + len);
          if (out.length >= n) { socket.destroy(); resolve(out); return; }
        }
      };
      socket.on('data', (d: Buffer) => { buf = Buffer.concat([buf, d]); parse(); });
      socket.on('error', reject);
      parse();
    });
    req.end();
  });
}

t.test('histogram buckets', async (t) => {
  const s = hist.snapshot();
  t.equal(s.count, 5);
  t.equal(s.counts.length, s.boundsMs.length + 1);
  t.equal(s.counts[0], 1, '0.05 ms <= 0.1');
  t.equal(s.counts[s.counts.length - 1], 1, '7000 ms overflows');
  t.equal(s.counts.reduce((a, b) => a + b, 0), 5);
});

t.test('Prometheus text', async (t) => {
  const text = renderMetrics(ctx);
  t.match(text, /^# HELP rocketmq_broker_info /m);
  t.match(text, /^# TYPE rocketmq_messages_put_total counter$/m);
  t.match(text, /^rocketmq_messages_put_total\{cluster="DefaultCluster",broker="broker-a"\} 10$/m);
  t.match(text, /^rocketmq_messages_got_total\{[^}]*\} 7$/m);
  t.match(text, /^rocketmq_put_latency_seconds_bucket\{[^}]*le="0\.0001"\} 1$/m);
  t.match(text, /^rocketmq_put_latency_seconds_bucket\{[^}]*le="\+Inf"\} 5$/m);
  t.match(text, /^rocketmq_put_latency_seconds_count\{[^}]*\} 5$/m);
  t.match(text, /^rocketmq_commitlog_max_offset_bytes\{[^}]*\} 4096$/m);
  t.match(text, /^rocketmq_page_cache_bytes\{[^}]*\} 1048576$/m);
  t.match(text, /^rocketmq_connections\{[^}]*\} 3$/m);
  t.match(text, /^rocketmq_queue_max_offset\{[^}]*topic="FixtureTopic",queue_id="1"\} 4$/m);
  t.match(text, /^rocketmq_consumer_group_diff_messages\{[^}]*group="FixtureConsumerGroup"\} 3$/m);
  t.match(text, /topic="we\\"ird\\\\name"/, 'label values escaped');
  // Every sample line is "name{labels} value" or "name value".
  for (const line of text.trim().split('\n')) {
    if (line.startsWith('#')) continue;
    t.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+0-9.eEInfa]+$/, line);
  }
  // Buckets are cumulative.
  const buckets = [...text.matchAll(/^rocketmq_put_latency_seconds_bucket\{.*\} (\d+)$/gm)].map((m) => Number(m[1]));
  t.same(buckets, [...buckets].sort((a, b) => a - b));
});

t.test('server', { skip: uwsNativeAvailable() ? false : 'uWebSockets.js native binary not available' }, async (t) => {
  const srv = await startAdminHttp(ctx, 0, { statsIntervalMs: 100 });
  t.teardown(() => srv.close());
  t.ok(srv.port > 0, `bound port ${srv.port}`);

  const metrics = await get(srv.port, '/metrics');
  t.equal(metrics.status, 200);
  t.match(metrics.type, /^text\/plain; version=0\.0\.4/);
  t.match(metrics.body, /rocketmq_messages_put_total\{[^}]*\} 10/);

  const broker = await get(srv.port, '/api/broker');
  t.equal(broker.status, 200);
  t.match(broker.type, /application\/json/);
  const b = JSON.parse(broker.body);
  t.equal(b.brokerName, 'broker-a');
  t.equal(b.stats.connections, 3);
  t.ok(b.uptimeMs >= 5000);

  const topics = JSON.parse((await get(srv.port, '/api/topics')).body);
  t.equal(topics[0].topic, 'FixtureTopic');
  t.equal(topics[0].queues.length, 2);
  const groups = JSON.parse((await get(srv.port, '/api/groups')).body);
  t.same(groups, ctx.groups());

  const page = await get(srv.port, '/');
  t.equal(page.status, 200);
  t.match(page.type, /text\/html/);
  t.match(page.body, /new WebSocket\(/);
  t.match(page.body, /\/ws/);
  t.notMatch(page.body, /<script src=|<link /, 'self-contained');

  t.equal((await get(srv.port, '/nope')).status, 404);

  // WebSocket: an immediate snapshot on open, then one per tick with fresh values.
  // The counter moves only once the first snapshot is in, so a slow machine cannot reorder them.
  const msgs = (await wsMessages(srv.port, 2, () => { putTotal = 11; })).map((s) => JSON.parse(s));
  t.equal(msgs.length, 2);
  t.equal(msgs[0].stats.messagesPutTotal, 10);
  t.equal(msgs[1].stats.messagesPutTotal, 11);
  t.ok(msgs[1].t >= msgs[0].t);
});

t.test('a failing getter answers 500, the server keeps serving', { skip: !uwsNativeAvailable() }, async (t) => {
  const bad: AdminHttpContext = { ...ctx, topics: () => { throw new Error('boom'); } };
  const srv = await startAdminHttp(bad, 0);
  t.teardown(() => srv.close());
  const r = await get(srv.port, '/api/topics');
  t.equal(r.status, 500);
  t.match(r.body, /boom/);
  t.equal((await get(srv.port, '/api/groups')).status, 200);
});

t.test('a port in use is an error', { skip: !uwsNativeAvailable() }, async (t) => {
  const srv = await startAdminHttp(ctx, 0);
  t.teardown(() => srv.close());
  await t.rejects(startAdminHttp(ctx, srv.port), /cannot listen/);
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

t.test('close() frees the port and drops keep-alive connections', { skip: !uwsNativeAvailable() }, async (t) => {
  // A fixed port, as in production: uWS sets SO_REUSEADDR only then, which lets the port be bound
  // again while the closed connections sit in TIME_WAIT.
  const srv = await startAdminHttp(ctx, await freePort());
  const agent = new http.Agent({ keepAlive: true });
  t.teardown(() => agent.destroy());
  const socketClosed = new Promise<void>((resolve) => {
    http.get({ host: '127.0.0.1', port: srv.port, path: '/api/groups', agent }, (res) => {
      res.resume();
      res.socket.on('close', () => resolve());
      res.on('end', () => srv.close());
    });
  });
  // A ref'd timer keeps the loop running (the agent unrefs idle sockets) and bounds the wait.
  let guard: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => { guard = setTimeout(() => resolve(true), 3000); });
  const late = await Promise.race([socketClosed.then(() => false), timedOut]);
  clearTimeout(guard);
  t.notOk(late, 'the server closed the idle keep-alive connection');
  const again = await startAdminHttp(ctx, srv.port);
  t.equal(again.port, srv.port, 'port reusable at once');
  again.close();
});

// Runs the built module in a child (the TS loader would cost seconds): needs `pnpm build` first.
const builtHttp = new URL('../dist/http/index.js', import.meta.url);
t.test('on the JS fallback of uWebSockets.js the server does not start', {
  skip: existsSync(builtHttp) ? false : 'packages/broker/dist not built',
}, async (t) => {
  const { spawnSync } = await import('node:child_process');
  const src = builtHttp.href;
  const script = `import(${JSON.stringify(src)}).then(async (m) => {
    const lines = [];
    const s = await m.startAdminHttp({ logger: { info() {}, warn: (x) => lines.push(x), error() {} } }, 0);
    console.log(JSON.stringify({ native: m.uwsNativeAvailable(), port: s.port, lines }));
    s.close();
  });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script],
    { env: { ...process.env, UWS_USE_FALLBACK: '1' }, encoding: 'utf8', timeout: 30_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  const out = JSON.parse(last) as { native: boolean; port: number; lines: string[] };
  t.equal(out.native, false);
  t.equal(out.port, 0, 'no server');
  t.match(out.lines[0], /JS fallback only/);
});

t.test('dashboard script runs against a fake DOM: stats cards, chart, tables', async (t) => {
  const { DASHBOARD_HTML } = await import('../src/http/dashboard.js');
  const vm = await import('node:vm');
  const script = DASHBOARD_HTML.slice(DASHBOARD_HTML.indexOf('<script>') + 8, DASHBOARD_HTML.indexOf('</script>'));
  const el = (): Record<string, any> => ({
    innerHTML: '', textContent: '', className: '', width: 1200, height: 120,
    tBodies: [{ innerHTML: '' }],
    getContext: () => new Proxy({}, { get: () => () => undefined, set: () => true }),
  });
  const elements = new Map<string, Record<string, any>>();
  const sockets: any[] = [];
  const intervals: Array<() => void> = [];
  const responses: Record<string, unknown> = {
    '/api/broker': ctx.brokerInfo(), '/api/topics': ctx.topics(), '/api/groups': ctx.groups(),
  };
  const sandbox = {
    document: { getElementById: (id: string) => elements.get(id) ?? (elements.set(id, el()), elements.get(id)) },
    location: { protocol: 'http:', host: '127.0.0.1:1' },
    WebSocket: class { constructor(public url: string) { sockets.push(this); } onopen?: () => void; onmessage?: (e: { data: string }) => void; onclose?: () => void },
    fetch: async (u: string) => ({ json: async () => responses[u] }),
    setInterval: (fn: () => void) => { intervals.push(fn); return 0; },
    setTimeout: () => 0,
    console,
  };
  vm.runInNewContext(script, sandbox);
  t.equal(sockets.length, 1);
  t.equal(sockets[0].url, 'ws://127.0.0.1:1/ws');
  sockets[0].onopen();
  t.equal(elements.get('state')!.className, 'live');
  const stats = ctx.stats();
  sockets[0].onmessage({ data: JSON.stringify({ t: 1000, stats }) });
  sockets[0].onmessage({ data: JSON.stringify({ t: 2000, stats: { ...stats, messagesPutTotal: stats.messagesPutTotal + 50 } }) });
  t.match(elements.get('cards')!.innerHTML, /Put TPS<\/div><div class="v">50</);
  t.match(elements.get('cards')!.innerHTML, /Avg put latency/);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  t.match(elements.get('topics')!.tBodies[0].innerHTML, /FixtureTopic<\/td><td>2\/2<\/td><td>6<\/td><td class="n">9</);
  t.match(elements.get('topics')!.tBodies[0].innerHTML, /we&quot;ird/, 'names escaped');
  t.match(elements.get('groups')!.tBodies[0].innerHTML, /FixtureConsumerGroup/);
  t.equal(elements.get('title')!.textContent, 'broker-a (DefaultCluster)');
  sockets[0].onclose();
  t.equal(elements.get('state')!.textContent, 'offline');
});
