// BodyPool: pulls' bodies carved from reusable slabs. Outstanding leases never share bytes; a slab
// is written again only when all its leases are released; a lease never released keeps its slab out
// of the pool; getMessage with pooled gives the same bytes as without and hands its lease over.
import t from 'tap';
import { BodyPool } from '../src/body-pool.js';
import { msg, openStore, settle, tmpDir } from './helpers.js';

t.test('leases never overlap while outstanding; a released slab is reused', async (t) => {
  const pool = new BodyPool(4096, 2);
  t.equal(pool.maxLeaseBytes, 1024);
  t.equal(pool.lease(1025), null, 'over maxLeaseBytes: not pooled');
  t.equal(pool.lease(0), null);
  const live = [];
  for (let i = 0; i < 12; i++) {
    const l = pool.lease(1000)!;
    l.buf.fill(i);
    live.push(l);
  }
  t.equal(pool.outstanding, 12);
  t.equal(pool.slabsAllocated, 3, 'four 1000-byte leases per 4096-byte slab');
  live.forEach((l, i) => t.ok(l.buf.every((b) => b === i), `lease ${i} kept its bytes`));
  // release the first slab's four leases: its memory comes back for the next leases
  for (const l of live.slice(0, 4)) l.release();
  live[0]!.release(); // a second release does nothing
  t.equal(pool.outstanding, 8);
  const again = [];
  for (let i = 0; i < 4; i++) again.push(pool.lease(1000)!);
  t.equal(pool.slabsAllocated, 3, 'no new slab: the current one had room, then the freed one');
  for (const l of again) l.buf.fill(0xee);
  live.slice(4).forEach((l, i) => t.ok(l.buf.every((b) => b === i + 4), `outstanding lease ${i + 4} untouched by reuse`));
});

t.test('a slab with an unreleased lease is never written again', async (t) => {
  const pool = new BodyPool(4096, 4);
  const kept = pool.lease(1000)!;
  kept.buf.fill(7);
  for (let round = 0; round < 50; round++) {
    const ls = [];
    for (let i = 0; i < 4; i++) { const l = pool.lease(1000)!; l.buf.fill(round & 0xff); ls.push(l); }
    for (const l of ls) l.release();
  }
  t.ok(kept.buf.every((b) => b === 7), 'the kept lease still reads as written');
  t.ok(pool.slabsAllocated <= 3, `slabs stay few (${pool.slabsAllocated})`);
});

t.test('trim gives back the estimate it did not use', async (t) => {
  const pool = new BodyPool(4096, 2);
  const a = pool.lease(1024)!;
  a.trim(100);
  t.equal(a.buf.length, 100);
  const b = pool.lease(1024)!;
  t.equal(b.start, 100, 'the next lease starts right after the trimmed one');
  a.trim(50); // b was carved after a: nothing to give back
  t.equal(a.buf.length, 100);
  b.buf.fill(1);
  a.buf.fill(2);
  t.ok(b.buf.every((x) => x === 1));
});

t.test('getMessage pooled: the same bytes as plain, and the lease goes to the caller (and the file images in runtime info)', async (t) => {
  const store = await openStore(tmpDir('pool'));
  t.teardown(() => store.shutdown());
  for (let i = 0; i < 100; i++) await store.putMessage(msg('PoolT', 0, Buffer.alloc(200 + i, i)));
  await settle(store);
  // file images counted by 4 KiB pages touched: 100 queue entries (2,000 bytes) are one page
  t.equal(store.runtimeInfo().consumeQueueCacheBytes, '4096');
  t.ok(Number(store.runtimeInfo().indexCacheBytes) >= 4096, `index image ${store.runtimeInfo().indexCacheBytes}`);
  const plain = store.getMessage('g', 'PoolT', 0, 0, 32, 1 << 20, null);
  const pooled = store.getMessage('g', 'PoolT', 0, 0, 32, 1 << 20, null, true);
  t.equal(plain.lease ?? null, null, 'plain read: no lease');
  t.ok(pooled.lease, 'pooled read: a lease');
  t.equal(pooled.messageCount, 32);
  t.ok(Buffer.concat(pooled.buffers).equals(Buffer.concat(plain.buffers)), 'same records');
  const pool = store.runtimeInfo();
  t.equal(pool.pullBodyLeases, '1');
  pooled.lease!.release();
  t.equal(store.runtimeInfo().pullBodyLeases, '0');
  const none = store.getMessage('g', 'PoolT', 0, 100, 32, 1 << 20, null, true);
  t.equal(none.status, 'OFFSET_OVERFLOW_ONE');
  t.equal(none.lease ?? null, null, 'nothing found: no lease');
  // many pulls, each released: a few slabs serve them all
  for (let i = 0; i < 200; i++) store.getMessage('g', 'PoolT', 0, i % 60, 32, 1 << 20, null, true).lease?.release();
  const info = store.runtimeInfo();
  t.equal(info.pullBodyLeases, '0');
  t.ok(Number(info.pullBodySlabs) <= 2, `slabs ${info.pullBodySlabs}`);
});
