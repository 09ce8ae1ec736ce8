// Disk full / I/O errors (injected through test hooks): the write fails with SERVICE_NOT_AVAILABLE,
// the store refuses new writes and keeps serving reads, and no half record is ever visible, before or
// after a restart. After ENOSPC the unwritten appends are rolled back (write position, queue offsets)
// and the store becomes writable again by itself once its space probe succeeds (testHooks.failProbe
// keeps the disk "full"); after EIO it stays read-only until restart.
import t from 'tap';
import { decodeRecord } from '../src/index.js';
import { msg, openStore, settle, tmpDir, waitFor } from './helpers.js';

type Store = Awaited<ReturnType<typeof openStore>>;
type T = Parameters<Parameters<typeof t.test>[0]>[0];

/** A SYNC_FLUSH store holding ok-0..ok-(n-1) on queue 0 of topic, whose next write and probes fail with ENOSPC. */
async function fullDiskAfter(t: T, root: string, topic: string, n: number): Promise<Store> {
  const store = await openStore(root, { flushDiskType: 'SYNC_FLUSH' });
  for (let i = 0; i < n; i++) t.equal((await store.putMessage(msg(topic, 0, `ok-${i}`))).status, 'PUT_OK');
  await settle(store);
  store.testHooks.failNextWrite = 'ENOSPC';
  store.testHooks.failProbe = 'ENOSPC';
  return store;
}

/** count more records of body on queue 0 of topic: each acknowledged at the next queue offset (n on). Returns the new n. */
async function appendInOrder(t: T, store: Store, topic: string, body: Buffer, n: number, count: number): Promise<number> {
  for (let i = 0; i < count; i++) {
    const r = await store.putMessage(msg(topic, 0, body));
    t.equal(r.status, 'PUT_OK');
    if (r.queueOffset !== n) { t.fail(`offset ${r.queueOffset}, expected ${n}`); break; }
    n++;
  }
  return n;
}

/** Restarts a SYNC_FLUSH store: queue 0 of topic holds records 0..n-1 of body, contiguous and whole. */
async function restartAndReadBack(t: T, before: Store, root: string, topic: string, body: Buffer, n: number): Promise<void> {
  await settle(before);
  await before.shutdown();
  const store = await openStore(root, { flushDiskType: 'SYNC_FLUSH' });
  t.teardown(() => store.shutdown());
  t.equal(store.getMaxOffsetInQueue(topic, 0), n, 'every acknowledged record recovered');
  let seen = 0;
  for (let off = 0; off < n;) {
    const g = store.getMessage('g', topic, 0, off, 32, 1 << 20);
    if (g.messageCount === 0) break;
    for (const b of g.buffers) { const m = decodeRecord(b); if (m.queueOffset !== seen || !m.body.equals(body)) t.fail(`record ${seen}`); seen++; }
    off = g.nextBeginOffset;
  }
  t.equal(seen, n, 'contiguous and whole after a restart');
}

t.test('SYNC_FLUSH: ENOSPC during the write', async (t) => {
  const root = tmpDir('enospc');
  let store = await fullDiskAfter(t, root, 'D', 10);
  const r = await store.putMessage(msg('D', 0, 'doomed-'.repeat(50)));
  t.equal(r.status, 'SERVICE_NOT_AVAILABLE');
  t.match(r.error, /ENOSPC/);
  t.equal(store.isWritable(), false);
  t.match(store.runtimeInfo().lastError, /ENOSPC/);
  const r2 = await store.putMessage(msg('D', 0, 'refused'));
  t.equal(r2.status, 'SERVICE_NOT_AVAILABLE');
  t.equal(store.getMaxOffsetInQueue('D', 0), 10, 'the failed message is not visible');
  const g = store.getMessage('g', 'D', 0, 0, 32, 1 << 20);
  t.equal(g.messageCount, 10, 'reads keep working');
  t.same(g.buffers.map((b) => decodeRecord(b).body.toString()), Array.from({ length: 10 }, (_, i) => `ok-${i}`));
  await store.shutdown();
  store = await openStore(root, { flushDiskType: 'SYNC_FLUSH' });
  t.teardown(() => store.shutdown());
  t.equal(store.isWritable(), true, 'writable again after restart');
  t.equal(store.getMaxOffsetInQueue('D', 0), 10, 'the half-written record was cut off');
  const r3 = await store.putMessage(msg('D', 0, 'after'));
  t.equal(r3.status, 'PUT_OK');
  t.equal(r3.queueOffset, 10);
  await settle(store);
  t.equal(store.getMessage('g', 'D', 0, 0, 32, 1 << 20).messageCount, 11);
});

t.test('ASYNC_FLUSH: EIO stops writes; unwritten messages never become visible', async (t) => {
  const root = tmpDir('eio');
  const store = await openStore(root);
  t.teardown(() => store.shutdown());
  for (let i = 0; i < 5; i++) await store.putMessage(msg('E', 1, `ok-${i}`));
  await settle(store);
  store.testHooks.failNextWrite = 'EIO';
  const r = await store.putMessage(msg('E', 1, 'lost'));
  t.equal(r.status, 'SERVICE_NOT_AVAILABLE', 'ASYNC acknowledges only what reached the OS: a put whose write failed is not');
  await waitFor(() => !store.isWritable());
  t.equal((await store.putMessage(msg('E', 1, 'refused'))).status, 'SERVICE_NOT_AVAILABLE');
  await new Promise((res) => setTimeout(res, 50));
  t.equal(store.getMaxOffsetInQueue('E', 1), 5);
  t.equal(store.getMessage('g', 'E', 1, 0, 32, 1 << 20).messageCount, 5);
});

t.test('failure creating the next commit log file', async (t) => {
  const root = tmpDir('create');
  const store = await openStore(root, { flushDiskType: 'SYNC_FLUSH' });
  t.teardown(() => store.shutdown());
  t.equal((await store.putMessage(msg('F', 0, Buffer.alloc(1000)))).status, 'PUT_OK', 'the first file exists');
  store.testHooks.failFileCreate = 'ENOSPC';
  let status = 'PUT_OK';
  let n = 1;
  while (status === 'PUT_OK' && n < 1000) { status = (await store.putMessage(msg('F', 0, Buffer.alloc(1000)))).status; n++; }
  t.equal(status, 'SERVICE_NOT_AVAILABLE');
  t.ok(n > 10, `${n - 1} puts fitted in the first file`);
  t.equal(store.isWritable(), false);
  await settle(store);
  t.equal(store.getMaxOffsetInQueue('F', 0), n - 1);
});

t.test('SYNC_FLUSH: a disk slower than syncFlushTimeout answers FLUSH_DISK_TIMEOUT', async (t) => {
  const store = await openStore(tmpDir('slow'), { flushDiskType: 'SYNC_FLUSH', syncFlushTimeout: 100 });
  t.teardown(() => store.shutdown());
  t.equal((await store.putMessage(msg('S', 0, 'fast'))).status, 'PUT_OK');
  store.testHooks.flushDelayMs = 600;
  const r = await store.putMessage(msg('S', 0, 'slow'));
  t.equal(r.status, 'FLUSH_DISK_TIMEOUT');
  t.equal(r.queueOffset, 1, 'the message was appended; only its durability is late');
  store.testHooks.flushDelayMs = 0;
  await settle(store);
  t.equal(store.getMaxOffsetInQueue('S', 0), 2, 'and it becomes visible once on disk');
  t.equal(store.isWritable(), true);
});

t.test('ENOSPC: unwritten appends are rolled back and sends resume without a restart', async (t) => {
  const root = tmpDir('enospc-resume');
  let store = await openStore(root, { flushDiskType: 'SYNC_FLUSH' });
  for (let i = 0; i < 10; i++) t.equal((await store.putMessage(msg('R', 0, `a-${i}`))).status, 'PUT_OK');
  for (let i = 0; i < 4; i++) t.equal((await store.putMessage(msg('R', 1, `b-${i}`))).status, 'PUT_OK');
  await settle(store);
  const phyBefore = store.getMaxPhyOffset();
  const putsBefore = Number(store.runtimeInfo().putMessageTimesTotal);
  store.testHooks.failNextWrite = 'ENOSPC';
  store.testHooks.failProbe = 'ENOSPC';
  // several appends in one turn, to two queues and as a batch: one write, which fails half-way
  const doomed = [
    store.putMessage(msg('R', 0, 'doomed-0')), store.putMessage(msg('R', 1, 'doomed-1')),
    store.putMessages('R', 0, [msg('R', 0, 'doomed-b0'), msg('R', 0, 'doomed-b1')]),
    store.putMessage(msg('R', 0, Buffer.alloc(3000, 7))),
  ];
  const rs = await Promise.all(doomed);
  t.same(rs.map((r) => r.status), ['SERVICE_NOT_AVAILABLE', 'SERVICE_NOT_AVAILABLE', 'SERVICE_NOT_AVAILABLE', 'SERVICE_NOT_AVAILABLE'], 'none acknowledged');
  t.match(rs[0].error, /disk full|ENOSPC/);
  t.equal(store.isWritable(), false, 'read-only while the disk is full');
  t.equal(store.getMaxPhyOffset(), phyBefore, 'the commit log is rolled back to the last whole written record');
  t.equal(store.runtimeInfo().commitLogMaxOffset, String(phyBefore));
  t.equal(Number(store.runtimeInfo().putMessageTimesTotal), putsBefore, 'the put counter is rolled back');
  t.equal(store.getMaxOffsetInQueue('R', 0), 10);
  t.equal(store.getMaxOffsetInQueue('R', 1), 4);
  await new Promise((r) => setTimeout(r, 150));
  const refused = await store.putMessage(msg('R', 0, 'refused'));
  t.equal(refused.status, 'SERVICE_NOT_AVAILABLE', 'a probe that fails keeps it read-only');
  t.equal(store.getMessage('g', 'R', 0, 0, 32, 1 << 20).messageCount, 10, 'reads keep working');
  // space is back: the next probe (timer, or a refused send after 100 ms) makes it writable
  store.testHooks.failProbe = null;
  await waitFor(() => store.isWritable(), 10000);
  t.equal(store.runtimeInfo().lastError, '');
  const acked: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await store.putMessage(msg('R', 0, `after-${i}`));
    t.equal(r.status, 'PUT_OK');
    t.equal(r.queueOffset, 10 + i, 'queue offsets continue without a gap');
    if (i === 0) t.equal(r.wroteOffset, phyBefore, 'the log continues where the last whole record ends');
    acked.push(`after-${i}`);
  }
  const r1 = await store.putMessage(msg('R', 1, 'after-q1'));
  t.equal(r1.queueOffset, 4, 'the other queue continues too');
  await settle(store);
  const expect0 = [...Array.from({ length: 10 }, (_, i) => `a-${i}`), ...acked];
  const read = (s: typeof store, q: number) => s.getMessage('g', 'R', q, 0, 64, 1 << 20).buffers.map((b) => decodeRecord(b));
  t.same(read(store, 0).map((m) => m.body.toString()), expect0, 'every acknowledged message reads back, nothing rolled back');
  t.same(read(store, 0).map((m) => m.queueOffset), expect0.map((_, i) => i), 'queue offsets contiguous, no duplicate');
  await store.shutdown();
  store = await openStore(root, { flushDiskType: 'SYNC_FLUSH' });
  t.teardown(() => store.shutdown());
  t.same(read(store, 0).map((m) => m.body.toString()), expect0, 'the same after a restart');
  t.same(read(store, 1).map((m) => m.body.toString()), ['b-0', 'b-1', 'b-2', 'b-3', 'after-q1']);
  t.equal((await store.putMessage(msg('R', 0, 'later'))).queueOffset, expect0.length);
});

t.test('ENOSPC creating the next commit log file: the blank record is rolled back, sends resume into a new file', async (t) => {
  const root = tmpDir('create-resume');
  let store = await openStore(root, { flushDiskType: 'SYNC_FLUSH' });
  const body = Buffer.alloc(1000, 3);
  let n = 0;
  t.equal((await store.putMessage(msg('C', 0, body))).status, 'PUT_OK');
  n++;
  store.testHooks.failFileCreate = 'ENOSPC';
  store.testHooks.failProbe = 'ENOSPC';
  for (;;) {
    const r = await store.putMessage(msg('C', 0, body));
    if (r.status !== 'PUT_OK') { t.equal(r.status, 'SERVICE_NOT_AVAILABLE'); break; }
    t.equal(r.queueOffset, n);
    n++;
    if (n > 1000) { t.fail('never full'); return; }
  }
  t.equal(store.isWritable(), false);
  const phy = store.getMaxPhyOffset();
  t.ok(phy < 64 * 1024, 'still in the first file');
  store.testHooks.failFileCreate = null;
  store.testHooks.failProbe = null;
  await waitFor(() => store.isWritable(), 10000);
  n = await appendInOrder(t, store, 'C', body, n, 80);
  t.ok(store.getMaxPhyOffset() > 64 * 1024, 'the log rolled into the next file');
  await restartAndReadBack(t, store, root, 'C', body, n);
});

t.test('ENOSPC: whole records the failed write left in the file are not recovered after a restart', async (t) => {
  const root = tmpDir('enospc-restart');
  let store = await fullDiskAfter(t, root, 'Z', 3);
  // small records then a big one: the injected failure writes the first half of the range, i.e. the
  // small records whole
  const rs = await Promise.all([...Array.from({ length: 5 }, (_, i) => store.putMessage(msg('Z', 0, `doomed-${i}`))),
    store.putMessage(msg('Z', 0, Buffer.alloc(4000, 9)))]);
  t.ok(rs.every((r) => r.status === 'SERVICE_NOT_AVAILABLE'), 'none acknowledged');
  t.equal(store.getMaxOffsetInQueue('Z', 0), 3);
  await store.shutdown();
  store = await openStore(root, { flushDiskType: 'SYNC_FLUSH' });
  t.teardown(() => store.shutdown());
  t.equal(store.getMaxOffsetInQueue('Z', 0), 3, 'the rolled-back records were zeroed, not resurrected');
  t.same(store.getMessage('g', 'Z', 0, 0, 32, 1 << 20).buffers.map((b) => decodeRecord(b).body.toString()), ['ok-0', 'ok-1', 'ok-2']);
  const r = await store.putMessage(msg('Z', 0, 'next'));
  t.equal(r.queueOffset, 3);
});

t.test('ENOSPC on a write that crosses into the next file: the new file goes, the log resumes in the old one', async (t) => {
  const root = tmpDir('enospc-roll');
  let store = await openStore(root, { flushDiskType: 'SYNC_FLUSH' });
  const body = Buffer.alloc(2000, 5);
  let n = 0;
  // up to a few records before the end of the first 64 KiB file
  while (store.getMaxPhyOffset() + 4 * 2200 < 64 * 1024) { t.equal((await store.putMessage(msg('X', 0, body))).queueOffset, n); n++; }
  await settle(store);
  const phyBefore = store.getMaxPhyOffset();
  t.equal(store.runtimeInfo().commitLogFiles, '1');
  store.testHooks.failNextWrite = 'ENOSPC';
  store.testHooks.failProbe = 'ENOSPC';
  const rs = await Promise.all(Array.from({ length: 10 }, () => store.putMessage(msg('X', 0, body))));
  t.ok(rs.every((r) => r.status === 'SERVICE_NOT_AVAILABLE'), 'none acknowledged');
  t.equal(store.getMaxPhyOffset(), phyBefore, 'rolled back into the first file');
  t.equal(store.runtimeInfo().commitLogFiles, '1', 'the file created for the rolled-back appends is gone');
  t.equal(store.getMaxOffsetInQueue('X', 0), n);
  store.testHooks.failProbe = null;
  await waitFor(() => store.isWritable(), 10000);
  n = await appendInOrder(t, store, 'X', body, n, 20);
  t.equal(store.runtimeInfo().commitLogFiles, '2', 'the log rolled into a new second file');
  await restartAndReadBack(t, store, root, 'X', body, n);
});
