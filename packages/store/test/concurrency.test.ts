// Append, flush and dispatch running at once: many producers on many queues, consumers reading while
// pages are evicted and re-read from disk; every message arrives once, in queue order, intact.
import t from 'tap';
import { decodeRecord } from '../src/index.js';
import { native } from '@rmq/native';
import { msg, openStore, settle, tmpDir } from './helpers.js';

for (const mode of ['ASYNC_FLUSH', 'SYNC_FLUSH'] as const) {
  t.test(`${mode}: producers and consumers race`, async (t) => {
    const store = await openStore(tmpDir('conc'), {
      flushDiskType: mode, mappedFileSizeCommitLog: 128 * 1024, pageCacheChunkBytes: 16 * 1024, pageCacheBytesMax: 64 * 1024,
    });
    t.teardown(() => store.shutdown());
    const queues: [string, number][] = [];
    for (let i = 0; i < 4; i++) for (let q = 0; q < 3; q++) queues.push([`Q${i}`, q]);
    const perQueue = 150;
    const wakeups = new Map<string, number>();
    store.onNewMessage((topic, q) => wakeups.set(`${topic}/${q}`, (wakeups.get(`${topic}/${q}`) ?? 0) + 1));
    const produced = new Map<string, string[]>();
    const producers = queues.map(async ([topic, q]) => {
      const key = `${topic}/${q}`;
      const list: string[] = [];
      produced.set(key, list);
      for (let i = 0; i < perQueue; i++) {
        const body = `${key}#${i}#${'z'.repeat((i * 37) % 900)}`;
        list.push(body);
        const r = await store.putMessage(msg(topic, q, body, { KEYS: `${key}-${i}`, TAGS: i % 2 ? 'odd' : 'even' }));
        if (r.status !== 'PUT_OK' || r.queueOffset !== i) throw new Error(`${key} ${i}: ${r.status} ${r.queueOffset}`);
        if (i % 17 === 0) await new Promise((res) => setImmediate(res));
      }
    });
    const consumed = new Map<string, string[]>();
    let done = false;
    const consumers = queues.map(async ([topic, q]) => {
      const key = `${topic}/${q}`;
      const got: string[] = [];
      consumed.set(key, got);
      let off = 0;
      while (got.length < perQueue) {
        const g = store.getMessage('g', topic, q, off, 16, 64 * 1024);
        if (g.status === 'FOUND') {
          for (const b of g.buffers) {
            const d = decodeRecord(b);
            if (d.queueOffset !== off + (got.length - off)) throw new Error(`${key}: offset ${d.queueOffset} at ${got.length}`);
            got.push(d.body.toString());
          }
          off = g.nextBeginOffset;
        } else {
          await new Promise((res) => setTimeout(res, 1));
        }
        if (done && got.length < perQueue && g.status !== 'FOUND' && off >= store.getMaxOffsetInQueue(topic, q) && store.dispatchBehindBytes() === 0) break;
      }
    });
    await Promise.all(producers);
    done = true;
    await Promise.all(consumers);
    await settle(store);
    for (const [key, list] of produced) t.same(consumed.get(key), list, `${key}: all messages in order`);
    t.ok([...wakeups.values()].every((n) => n > 0), 'every queue woke listeners');
    const info = store.runtimeInfo();
    t.ok(Number(info.pageCacheEvictions) > 0, `pages evicted (${info.pageCacheEvictions}), re-read from disk (${info.pageCacheDiskLoads})`);
    t.ok(Number(info.pageCacheResidentBytes) <= 64 * 1024 * 2, `resident ${info.pageCacheResidentBytes}`);
    // re-read everything after eviction: first queue from offset 0 comes from disk pages
    const again = store.getMessage('g', 'Q0', 0, 0, 32, 1 << 20);
    t.equal(decodeRecord(again.buffers[0]).body.toString(), produced.get('Q0/0')![0]);
    t.equal(store.queryMessage('Q3', 'Q3/2-149', 4, 0, Date.now() + 1000).buffers.length, 1);
  });
}

t.test('recycled pages never change bytes under a view handed out earlier', async (t) => {
  const store = await openStore(tmpDir('recycle'), { mappedFileSizeCommitLog: 256 * 1024, pageCacheChunkBytes: 16 * 1024, pageCacheBytesMax: 64 * 1024 });
  t.teardown(() => store.shutdown());
  await store.putMessage(msg('H', 0, 'held-0'));
  await settle(store);
  const held = store.getMessage('g', 'H', 0, 0, 1, 1 << 20).buffers[0];
  const copy = Buffer.from(held);
  for (let i = 0; i < 600; i++) {
    await store.putMessage(msg('H', 1, Buffer.alloc(900, i & 255)));
    if (i % 50 === 0) await settle(store);
  }
  await settle(store);
  const info = store.runtimeInfo();
  t.ok(Number(info.pageCacheRecycledPages) > 0, `pages recycled (${info.pageCacheRecycledPages}), fresh ${info.pageCacheFreshPages}`);
  t.ok(Number(info.pageCacheResidentBytes) <= 64 * 1024, `resident ${info.pageCacheResidentBytes} within the bound`);
  t.same(held, copy, 'the held view is unchanged');
  t.equal(decodeRecord(store.getMessage('g', 'H', 0, 0, 1, 1 << 20).buffers[0]).body.toString(), 'held-0');
});

t.test('pages that readers saw are reused once their views are garbage: memory stays bounded', async (t) => {
  const v8 = await import('node:v8');
  const vm = await import('node:vm');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const store = await openStore(tmpDir('views'), { mappedFileSizeCommitLog: 256 * 1024, pageCacheChunkBytes: 16 * 1024, pageCacheBytesMax: 64 * 1024 });
  t.teardown(() => store.shutdown());
  let off = 0;
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 20; i++) await store.putMessage(msg('V', 0, Buffer.alloc(900, round)));
    await settle(store);
    // a consumer reads everything new (views over the pages), then lets go of it
    for (;;) {
      const g = store.getMessage('g', 'V', 0, off, 32, 1 << 20);
      if (g.status !== 'FOUND') break;
      for (const b of g.buffers) if (decodeRecord(b).body[0] !== Math.floor(off++ / 20)) throw new Error(`bad body at ${off - 1}`);
    }
    gc();
    await new Promise((r) => setTimeout(r, 1));
  }
  const info = store.runtimeInfo();
  t.equal(off, 800, 'every message read back intact');
  t.ok(Number(info.pageCacheRecycledPages) > Number(info.pageCacheFreshPages),
    `recycled ${info.pageCacheRecycledPages} > fresh ${info.pageCacheFreshPages}: read pages come back`);
});

t.test('pulled records are copies: holding every reply pins no page, the cache stays within its bound', async (t) => {
  // 64 KiB cache of 16 KiB pages; ~720 KiB of records read back while every reply is kept alive (no gc)
  const store = await openStore(tmpDir('pullcopy'), { mappedFileSizeCommitLog: 256 * 1024, pageCacheChunkBytes: 16 * 1024, pageCacheBytesMax: 64 * 1024 });
  t.teardown(() => store.shutdown());
  for (let i = 0; i < 800; i++) await store.putMessage(msg('P', 0, Buffer.alloc(900, i & 255)));
  await settle(store);
  const freshBefore = Number(store.runtimeInfo().pageCacheFreshPages);
  const held: Buffer[] = [];
  let off = 0;
  for (;;) {
    const g = store.getMessage('g', 'P', 0, off, 32, 1 << 20);
    if (g.status !== 'FOUND') break;
    t.equal(g.buffers.length, g.messageCount);
    t.equal(g.buffers.reduce((n, b) => n + b.length, 0), g.bufferTotalSize);
    for (const b of g.buffers) held.push(b);
    off = g.nextBeginOffset;
  }
  t.equal(held.length, 800);
  held.forEach((b, i) => { if (decodeRecord(b).body[0] !== (i & 255)) throw new Error(`bad body at ${i}`); });
  const info = store.runtimeInfo();
  t.equal(Number(info.pageCacheFreshPages), freshBefore, 'reads reused the cache pages: no fresh page for a held reply');
  t.ok(Number(info.pageCacheResidentBytes) <= 64 * 1024, `resident ${info.pageCacheResidentBytes} within the bound`);
  // a filter that reads the stored record sees the same bytes
  const some = store.getMessage('g', 'P', 0, 5, 4, 1 << 20, { matchByConsumeQueue: () => true, matchByCommitLog: (r) => (decodeRecord(r).body[0] & 1) === 1 });
  t.same(some.buffers.map((b) => decodeRecord(b).body[0]), [5, 7, 9, 11]);
});

t.test('while the cache grows, fresh pages come prefaulted ahead and hold what is appended', async (t) => {
  const store = await openStore(tmpDir('ahead'), { mappedFileSizeCommitLog: 256 * 1024, pageCacheChunkBytes: 16 * 1024, pageCacheBytesMax: 1024 * 1024 });
  t.teardown(() => store.shutdown());
  for (let i = 0; i < 600; i++) {
    const r = await store.putMessage(msg('A', 0, Buffer.alloc(900, i & 255)));
    if (r.status !== 'PUT_OK') throw new Error(r.status);
    if (i % 16 === 0) await new Promise((r) => setTimeout(r, 2)); // room for the pool thread's callback
  }
  await settle(store);
  const info = store.runtimeInfo();
  const ahead = Number(info.pageCacheFreshAheadPages);
  t.ok(native === null ? ahead === 0 : ahead > 0, `pages prefaulted ahead: ${ahead} of ${info.pageCacheFreshPages} fresh`);
  t.ok(Number(info.pageCacheResidentBytes) <= 1024 * 1024, `resident ${info.pageCacheResidentBytes} within the bound`);
  let off = 0, n = 0;
  for (;;) {
    const g = store.getMessage('g', 'A', 0, off, 32, 1 << 20);
    if (g.status !== 'FOUND') break;
    for (const b of g.buffers) { const body = decodeRecord(b).body; t.equal(body.length === 900 && body[0] === (n & 255) && body[899] === (n & 255), true); n++; }
    off = g.nextBeginOffset;
  }
  t.equal(n, 600, 'every record reads back intact');
});
