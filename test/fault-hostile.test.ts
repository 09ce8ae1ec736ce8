// Fault suite, hostile and slow clients against a running `mq-server standalone` (broker + name
// server, serverChannelMaxIdleTimeSeconds=15): 10,000 idle connections (server RSS growth bounded, all
// closed once idle), a request trickled a byte at a time (answered), a frame header claiming 16 MiB then
// silence (nothing allocated for it, closed when idle), a client that never reads its replies (bounded
// output, then closed with one log line), and 100,000 requests flooded on one connection (all
// answered). A good client keeps sending and querying routes throughout; its latency is reported.
// The broker re-registers every 4 s: the name server closes idle connections too, its own included.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { FrameDecoder, RemotingCommand, encodeCommandToBuffer } from '../packages/remoting/dist/index.js';
import { Admin, sendHeaderV2, sleep, startServer, tmpDir, waitFor } from './helpers/mq-process.js';

const IDLE_S = 15;
// Both ends need a descriptor per connection (this process and the server, which inherits our limit):
// fewer connections when `ulimit -n` is below 10,000 plus a margin (Node cannot raise its own limit).
const fdLimit = Number(/Max open files\s+(\d+)/.exec(fs.readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 1024);
const IDLE_CONNS = Math.min(Number(process.env['FAULT_IDLE_CONNS'] ?? 10_000), fdLimit - 1000);
const FLOOD = 100_000;

const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const fdCount = (pid: number): number => fs.readdirSync(`/proc/${pid}/fd`).length;
const hostPort = (addr: string) => ({ host: addr.split(':')[0]!, port: Number(addr.split(':')[1]) });
const connect = (addr: string): Promise<net.Socket> => new Promise((resolve, reject) => {
  const s = net.connect(hostPort(addr));
  s.once('connect', () => resolve(s));
  s.once('error', reject);
});
const closed = (s: net.Socket): Promise<void> => new Promise((r) => { if (s.destroyed) r(); else s.once('close', () => r()); });
const pct = (xs: number[], p: number): number => { const a = [...xs].sort((x, y) => x - y); return a.length ? a[Math.min(a.length - 1, Math.floor(a.length * p))]! : NaN; };

t.setTimeout(300_000);

t.test('hostile clients; good clients keep being served', async (t) => {
  const dir = tmpDir('fault-hostile');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const s = await startServer({ storeDir: path.join(dir, 'store'), extra: [`--serverChannelMaxIdleTimeSeconds=${IDLE_S}`, "--registerBrokerIntervalMs=4000"] });
  t.teardown(() => s.kill());
  const pid = s.proc.pid!;
  const admin = new Admin();
  t.teardown(() => admin.close());
  await admin.createTopic(s, 'HostileTopic', 1);
  // 40 messages of 200 KiB for the never-reading client's pulls (one pull answers about 200 KiB)
  for (let i = 0; i < 40; i++) {
    const r = await admin.call(s.brokerAddr, 310, sendHeaderV2('HostileTopic', 0), Buffer.alloc(200 * 1024, 0x61 + (i % 26)));
    if (r.code !== 0) throw new Error(`setup send: ${r.code} ${r.remark}`);
  }

  // the good client: one send and one route query every 50 ms, all the way through
  const lat: number[] = [];
  const failures: string[] = [];
  let goodRunning = true;
  const good = (async () => {
    let i = 0;
    while (goodRunning) {
      const t0 = performance.now();
      try {
        const r = await admin.call(s.brokerAddr, 310, sendHeaderV2('HostileTopic', 0), Buffer.from(`good ${i++}`), 10_000);
        const q = await admin.call(s.nsAddr, 105, { topic: 'HostileTopic' }, null, 10_000);
        if (r.code !== 0 || q.code !== 0) failures.push(`send ${r.code} route ${q.code}`);
        lat.push(performance.now() - t0);
      } catch (e) {
        failures.push((e as Error).message);
      }
      await sleep(50); // the good client's pace: one round every 50 ms
    }
  })();
  const phase = (name: string): void => {
    t.comment(`${name}: good client p50 ${pct(lat, 0.5).toFixed(1)} ms, p99 ${pct(lat, 0.99).toFixed(1)} ms, max ${pct(lat, 1).toFixed(1)} ms over ${lat.length} rounds`);
    lat.length = 0;
  };

  // Connections that only the idle limit ends: a frame that stops in the middle (slowloris) and
  // 16 MiB frame headers with nothing after them, opened first; then the idle crowd.
  if (IDLE_CONNS < 10_000) t.comment(`ulimit -n is ${fdLimit}: ${IDLE_CONNS} idle connections instead of 10,000`);
  const fd0 = fdCount(pid);
  const rss0 = rssMiB(pid);
  const stalled: net.Socket[] = [];
  const routeFrame = encodeCommandToBuffer(RemotingCommand.request(105, { topic: 'HostileTopic' }));
  for (let i = 0; i < 10; i++) {
    const sock = await connect(s.nsAddr);
    sock.on('error', () => undefined);
    sock.write(routeFrame.subarray(0, 10));
    stalled.push(sock);
  }
  for (let i = 0; i < 50; i++) {
    const sock = await connect(s.brokerAddr);
    sock.on('error', () => undefined);
    const head = Buffer.alloc(8);
    head.writeInt32BE(16 * 1024 * 1024, 0);
    head.writeInt32BE(100, 4);
    sock.write(head);
    stalled.push(sock);
  }
  await sleep(300); // a window for the server to read the 50 headers before RSS is measured (a negative check)
  const rssHeaders = rssMiB(pid);
  t.comment(`50 connections each claiming a 16 MiB frame: server RSS ${rss0.toFixed(0)} -> ${rssHeaders.toFixed(0)} MiB`);
  t.ok(rssHeaders - rss0 < 200, 'nothing like 50 x 16 MiB is allocated for frames that never come');

  const idle: net.Socket[] = [];
  const tOpen = Date.now();
  let peakFds = 0, peakRss = 0;
  for (let i = 0; i < IDLE_CONNS; i += 250) {
    const batch = await Promise.all(Array.from({ length: Math.min(250, IDLE_CONNS - i) }, () => connect(s.brokerAddr)));
    for (const b of batch) { b.on('error', () => undefined); idle.push(b); }
    peakFds = Math.max(peakFds, fdCount(pid));
  }
  const openS = (Date.now() - tOpen) / 1000;
  await sleep(500); // a settling window before the peak fds/RSS are measured
  peakFds = Math.max(peakFds, fdCount(pid));
  peakRss = rssMiB(pid);
  t.comment(`${IDLE_CONNS} idle connections opened in ${openS.toFixed(1)} s: server fds ${fd0} -> ${peakFds}, RSS ${rss0.toFixed(0)} -> ${peakRss.toFixed(0)} MiB (+${(peakRss - rss0).toFixed(0)} MiB)`);
  t.ok(peakRss - rss0 <= 150, `RSS growth with ${IDLE_CONNS} idle connections ${(peakRss - rss0).toFixed(0)} MiB <= 150 MiB`);
  if (openS < IDLE_S * 0.8) t.ok(peakFds >= fd0 + IDLE_CONNS * 0.95, 'the server held them all at once');
  const idleClosed = Promise.all([...idle, ...stalled].map(closed)).then(() => Date.now());
  phase('opening idle connections');

  await t.test('slowloris: a request trickled one byte at a time is answered', async (t) => {
    const sock = await connect(s.nsAddr);
    sock.on('error', () => undefined);
    const dec = new FrameDecoder();
    const answered = new Promise<RemotingCommand>((resolve) => sock.on('data', (d) => { const c = dec.push(d); if (c.length) resolve(c[0]!); }));
    for (let i = 0; i < routeFrame.length; i++) { sock.write(routeFrame.subarray(i, i + 1)); await sleep(10); } // slowloris: the trickle under test
    const r = await answered;
    t.equal(r.code, 0, `a ${routeFrame.length}-byte request sent over ${routeFrame.length * 10} ms is answered (${r.code} ${r.remark ?? ''})`);
    sock.destroy();
    phase('slowloris');
  });

  await t.test('a client that never reads its replies', async (t) => {
    const sock = await connect(s.brokerAddr);
    sock.on('error', () => undefined);
    sock.pause(); // never reads
    const pull = (n: number) => encodeCommandToBuffer(RemotingCommand.request(11, {
      consumerGroup: 'hostile_reader', topic: 'HostileTopic', queueId: 0, queueOffset: n % 40, maxMsgNums: 32, sysFlag: 4, commitOffset: 0,
      suspendTimeoutMillis: 0, subscription: '*', subVersion: Date.now(), expressionType: 'TAG',
    }));
    const rssA = rssMiB(pid);
    let isClosed = false;
    void closed(sock).then(() => { isClosed = true; });
    let n = 0;
    while (!isClosed && n < 3000) { sock.write(pull(n++)); if (n % 100 === 0) await sleep(10); } // lets the server's writes back up
    // The server closes from its side. A paused socket sees that only on a later write (a reset) or
    // when it reads up to the end, so once the server has said so, read what is left and see the end.
    await waitFor(() => /bytes of output pending, limit/.test(s.err() + s.out()), 60_000, 'the log line');
    const rssB = rssMiB(pid);
    sock.resume();
    await waitFor(() => isClosed, 60_000, 'the server closing the never-reading connection');
    t.ok(isClosed, 'the connection is closed');
    const lines = (s.err() + s.out()).split('\n').filter((l) => /closing connection .*bytes of output pending, limit/.test(l));
    t.equal(lines.length, 1, 'one log line for the closed connection');
    t.comment(`closed after ${n} unread pull requests (${lines[0]?.replace(/^.*closing/, 'closing') ?? 'no log line'}); server RSS ${rssA.toFixed(0)} -> ${rssB.toFixed(0)} MiB`);
    phase('never-reading client');
  });

  await t.test(`${FLOOD} requests flooded on one connection`, async (t) => {
    const sock = await connect(s.nsAddr);
    sock.on('error', () => undefined);
    const dec = new FrameDecoder();
    let answers = 0, ok = 0;
    const all = new Promise<void>((resolve) => sock.on('data', (d) => {
      for (const c of dec.push(d)) { answers++; if (c.code === 0) ok++; }
      if (answers >= FLOOD) resolve();
    }));
    const t0 = Date.now();
    const chunk = Buffer.concat(Array.from({ length: 1000 }, () => routeFrame));
    for (let i = 0; i < FLOOD; i += 1000) {
      if (!sock.write(chunk)) await new Promise((r) => sock.once('drain', r));
    }
    await all;
    t.equal(ok, FLOOD, `all ${FLOOD} answered in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    sock.destroy();
    phase('flood');
  });

  const closedAt = await idleClosed;
  t.comment(`every idle, stalled and 16 MiB-header connection was closed by the server, the last ${((closedAt - tOpen) / 1000).toFixed(1)} s after the crowd started opening (limit ${IDLE_S} s idle)`);
  await waitFor(() => fdCount(pid) <= fd0 + 20, 30_000, 'server fds back to the start');
  t.pass(`server fds back to ${fdCount(pid)} (started at ${fd0})`);
  goodRunning = false;
  await good;
  phase('after');
  t.same(failures.slice(0, 5), [], 'the good client was served throughout');
  t.notMatch(s.err(), /Unhandled|TypeError|RangeError/, 'no error traces');
});
