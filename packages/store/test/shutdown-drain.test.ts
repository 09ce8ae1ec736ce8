// Regression: shutdown while two flush tasks are in flight and the second one finishes first.
// drainFlushes used to await the last task's (already settled) promise in a loop while the head
// task, still running, kept both in the queue: a microtask loop that starved the event loop, so the
// head's result never arrived and shutdown never returned (mq-server hung on SIGTERM; the store's
// recovery tests stalled under tap). A regression shows as this file hitting tap's timeout.
import t from 'tap';
import { decodeRecord } from '../src/index.js';
import { msg, openStore, tmpDir } from './helpers.js';

t.test('shutdown waits for an earlier, slower flush task after a later one finished', async (t) => {
  const root = tmpDir('drain');
  // Long flush interval: only the appends schedule flush tasks.
  const store = await openStore(root, { flushIntervalCommitLog: 60_000 });
  store.testHooks.flushDelayMs = 1500; // the first task sleeps in its worker
  const first = store.putMessage(msg('D', 0, 'first'));
  await new Promise((r) => setImmediate(r)); // runFlush submitted task 1
  store.testHooks.flushDelayMs = 0;
  const second = store.putMessage(msg('D', 0, 'second'));
  await new Promise((r) => setImmediate(r)); // task 2, on a second worker, finishes first
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  await store.shutdown();
  t.comment(`shutdown took ${Date.now() - t0} ms`);
  t.equal((await first).status, 'PUT_OK', 'first put acknowledged once its flush finished');
  t.equal((await second).status, 'PUT_OK', 'second put acknowledged');
  const again = await openStore(root);
  t.teardown(() => again.shutdown());
  const g = again.getMessage('g', 'D', 0, 0, 32, 1 << 20);
  t.equal(g.status, 'FOUND');
  t.same(g.buffers.map((b) => decodeRecord(b).body.toString()), ['first', 'second'], 'both records on disk after the clean stop');
});
