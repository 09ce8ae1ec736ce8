#!/usr/bin/env node
// Cost per message of the multi-core design's hand-off (docs/design.md, "Performance: using more
// cores"): connection I/O + frame decode in worker threads that pass decoded sends to the one
// commit-log appender through a SharedArrayBuffer ring. An I/O thread writes each decoded send as
// one ring record (fixed fields + topic + properties + body bytes); the appender thread reads it and
// copies it into a "commit log page" (the memcpy the append does anyway). Single producer, single
// consumer per ring; positions are Int32 cells published with Atomics.store, the consumer sleeps
// with Atomics.wait only when the ring is empty and the producer notifies only when it was.
//
//   node perf/dist/ring-bench.js [--messages 2000000] [--size 1024] [--ring-mib 8] [--producers 1]
//
// Prints: the inline cost (same work, one thread, no ring), the ring's cost per message on each side
// (CPU of the whole process / messages), and the projected scaling curve for 1, 2, 4, 8 cores from
// the broker's measured per-message split (--io-us, --append-us: CPU µs per message of the I/O side
// and of the appender side, from the profile).
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

const HDR = 64;            // control cells (Int32): 0 head (consumer), 1 tail (producer), 2 producer-done, 3 consumer-waiting
const REC_FIXED = 4 + 4 + 4 + 8 + 4 + 2 + 2; // len, queueId, sysFlag, bornTs, bodyLen, topicLen, propsLen

interface Args { messages: number; size: number; ringMiB: number; producers: number; ioUs: number; appendUs: number }

function parse(argv: string[]): Args {
  const a: Args = { messages: 2_000_000, size: 1024, ringMiB: 8, producers: 1, ioUs: 12, appendUs: 5 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!, v = Number(argv[i + 1]);
    if (k === '--messages') a.messages = v; else if (k === '--size') a.size = v; else if (k === '--ring-mib') a.ringMiB = v;
    else if (k === '--producers') a.producers = v; else if (k === '--io-us') a.ioUs = v; else if (k === '--append-us') a.appendUs = v;
    else throw new Error(`unknown option ${k}`);
  }
  return a;
}

/** Writes one decoded send into buf at p; returns the record length (8-aligned). */
function writeRecord(buf: Buffer, dv: DataView, p: number, queueId: number, bornTs: number, topic: Buffer, props: Buffer, body: Buffer): number {
  const len = (REC_FIXED + topic.length + props.length + body.length + 7) & ~7;
  dv.setInt32(p + 4, queueId);
  dv.setInt32(p + 8, 0);
  dv.setFloat64(p + 12, bornTs);
  dv.setInt32(p + 20, body.length);
  dv.setInt16(p + 24, topic.length);
  dv.setInt16(p + 26, props.length);
  let q = p + REC_FIXED;
  buf.set(topic, q); q += topic.length;
  buf.set(props, q); q += props.length;
  buf.set(body, q);
  dv.setInt32(p, len); // written last: the length makes the record visible to a reader that checks it
  return len;
}

function producerLoop(sab: SharedArrayBuffer, count: number, size: number): void {
  const ctl = new Int32Array(sab, 0, HDR / 4);
  const data = Buffer.from(sab, HDR);
  const dv = new DataView(sab, HDR);
  const cap = data.length;
  const topic = Buffer.from('BenchmarkTest');
  const props = Buffer.from('UNIQ_KEY\u0001AC11001B2C3D1B6D00000000000000\u0002CLUSTER\u0001DefaultCluster');
  const body = Buffer.alloc(size, 0x61);
  let tail = 0;
  const maxRec = (REC_FIXED + topic.length + props.length + body.length + 7) & ~7;
  for (let i = 0; i < count; i++) {
    // wait for room: the consumer frees space by advancing head
    for (;;) {
      const head = Atomics.load(ctl, 0);
      const used = tail - head;
      if (cap - used >= maxRec + 8) break;
      Atomics.wait(ctl, 0, head, 1);
    }
    let pos = tail % cap;
    if (pos + maxRec + 8 > cap) { dv.setInt32(pos, -1); tail += cap - pos; pos = 0; } // wrap marker
    tail += writeRecord(data, dv, pos, i & 1023, 1_700_000_000_000 + i, topic, props, body);
    const wasEmpty = Atomics.exchange(ctl, 1, tail) === Atomics.load(ctl, 0);
    if (wasEmpty && Atomics.load(ctl, 3) === 1) Atomics.notify(ctl, 1);
  }
  Atomics.store(ctl, 2, 1);
  Atomics.notify(ctl, 1);
}

function consume(sabs: SharedArrayBuffer[], total: number): number {
  const page = Buffer.allocUnsafe(64 * 1024 * 1024);
  let pagePos = 0;
  let got = 0;
  let checksum = 0;
  const rings = sabs.map((sab) => ({ ctl: new Int32Array(sab, 0, HDR / 4), data: Buffer.from(sab, HDR), dv: new DataView(sab, HDR), head: 0 }));
  while (got < total) {
    let progressed = false;
    for (const r of rings) {
      const tail = Atomics.load(r.ctl, 1);
      const cap = r.data.length;
      while (r.head < tail) {
        let pos = r.head % cap;
        let len = r.dv.getInt32(pos);
        if (len === -1) { r.head += cap - pos; pos = 0; len = r.dv.getInt32(0); }
        // the append: fixed fields read, the record's bytes copied into the page
        checksum += r.dv.getInt32(pos + 4);
        if (pagePos + len > page.length) pagePos = 0;
        r.data.copy(page, pagePos, pos, pos + len);
        pagePos += len;
        r.head += len;
        got++;
        progressed = true;
      }
      Atomics.store(r.ctl, 0, r.head);
      Atomics.notify(r.ctl, 0);
    }
    if (!progressed) {
      const r = rings[0]!;
      Atomics.store(r.ctl, 3, 1);
      if (Atomics.load(r.ctl, 1) === r.head && Atomics.load(r.ctl, 2) === 0) Atomics.wait(r.ctl, 1, r.head, 1);
      Atomics.store(r.ctl, 3, 0);
    }
  }
  return checksum;
}

/** The same work on one thread without a ring: record into a scratch buffer, copy into the page. */
function inline(count: number, size: number): void {
  const sab = new SharedArrayBuffer(HDR + (1 << 16));
  const data = Buffer.from(sab, HDR);
  const dv = new DataView(sab, HDR);
  const page = Buffer.allocUnsafe(64 * 1024 * 1024);
  const topic = Buffer.from('BenchmarkTest');
  const props = Buffer.from('UNIQ_KEY\u0001AC11001B2C3D1B6D00000000000000\u0002CLUSTER\u0001DefaultCluster');
  const body = Buffer.alloc(size, 0x61);
  let pagePos = 0;
  for (let i = 0; i < count; i++) {
    const len = writeRecord(data, dv, 0, i & 1023, i, topic, props, body);
    if (pagePos + len > page.length) pagePos = 0;
    data.copy(page, pagePos, 0, len);
    pagePos += len;
  }
}

function cpuUs(): number { const u = process.cpuUsage(); return u.user + u.system; }

async function main(): Promise<void> {
  const a = parse(process.argv.slice(2));
  const n = a.messages;
  let c0 = cpuUs(); let t0 = performance.now();
  inline(n, a.size);
  const inlineCpu = (cpuUs() - c0) / n, inlineWall = ((performance.now() - t0) * 1000) / n;

  const per = Math.floor(n / a.producers);
  const sabs = Array.from({ length: a.producers }, () => new SharedArrayBuffer(HDR + a.ringMiB * 1024 * 1024));
  const self = fileURLToPath(import.meta.url);
  const workers = sabs.map((sab) => new Worker(self, { workerData: { sab, count: per, size: a.size } }));
  await Promise.all(workers.map((w) => new Promise((r) => w.once('online', r))));
  c0 = cpuUs(); t0 = performance.now();
  for (const w of workers) w.postMessage('go');
  consume(sabs, per * a.producers);
  const ringWall = ((performance.now() - t0) * 1000) / (per * a.producers);
  await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
  const ringCpu = (cpuUs() - c0) / (per * a.producers);
  const overhead = Math.max(0, ringCpu - inlineCpu);
  console.log(`ring-bench: ${per * a.producers} messages of ${a.size} B, ${a.producers} producer thread(s), ring ${a.ringMiB} MiB each`);
  console.log(`  inline (one thread, no ring):  ${inlineCpu.toFixed(2)} µs CPU/msg, ${inlineWall.toFixed(2)} µs wall/msg`);
  console.log(`  through the ring (2+ threads): ${ringCpu.toFixed(2)} µs CPU/msg (both sides), ${ringWall.toFixed(2)} µs wall/msg`);
  console.log(`  ring overhead: ${overhead.toFixed(2)} µs CPU/msg (encode into the ring + Atomics + the extra copy)`);
  // Projection: the broker's per-message CPU splits into an I/O side (socket reads/writes, frame +
  // header decode, reply encode, their GC) that can run on k-1 I/O threads, and an appender side
  // (record encode + copy, ConsumeQueue entry, waiters) that stays on one thread. With k cores:
  // rate(k) = min((k-1) / (io + ring/2), 1 / (append + ring/2)); k = 1 runs everything inline.
  const io = a.ioUs, app = a.appendUs;
  console.log(`  projection from the broker's split (I/O side ${io} µs/msg, appender side ${app} µs/msg, workers and GC included):`);
  for (const k of [1, 2, 4, 8]) {
    const rate = k === 1 ? 1e6 / (io + app) : Math.min(((k - 1) * 1e6) / (io + overhead / 2), 1e6 / (app + overhead / 2));
    const bound = k === 1 ? 'one core' : ((k - 1) / (io + overhead / 2) < 1 / (app + overhead / 2) ? 'I/O threads' : 'the appender');
    console.log(`    ${k} core${k > 1 ? 's' : ' '}: ${(rate / 1000).toFixed(0).padStart(4)}k msgs/s  (bound: ${bound})`);
  }
}

if (isMainThread) {
  main().catch((e: unknown) => { console.error(e); process.exit(1); });
} else {
  const { sab, count, size } = workerData as { sab: SharedArrayBuffer; count: number; size: number };
  parentPort!.once('message', () => { producerLoop(sab, count, size); process.exit(0); });
}
