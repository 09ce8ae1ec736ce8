// Disk full / I/O errors (injected through test hooks): the write fails with SERVICE_NOT_AVAILABLE,
// the store refuses new writes and keeps serving reads, and no half record is ever visible, before or
// after a restart.
import t from 'tap';
import { decodeRecord } from '../src/index.js';
import { msg, openStore, settle, tmpDir, waitFor } from './helpers.js';

t.test('SYNC_FLUSH: ENOSPC during the write', async (t) => {
  const root = tmpDir('enospc');
  let store = await openStore(root, { flushDiskType: 'SYNC_FLUSH' });
  for (let i = 0; i < 10; i++) t.equal((await store.putMessage(msg('D', 0, `ok-${i}`))).status, 'PUT_OK');
  await settle(store);
  store.testHooks.failNextWrite = 'ENOSPC';
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
