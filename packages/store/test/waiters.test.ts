// PositionWaiters: sends resolve once every ack source has passed their end, in order; deadlines
// resolve with the status of the source that is behind; failAll answers everything pending.
import t from 'tap';
import { PositionWaiters, type PutResult } from '../src/index.js';

const res = (end: number): PutResult => ({ status: 'PUT_OK', wroteOffset: end - 10, wroteBytes: 10, queueOffset: 0, msgId: String(end), storeTimestamp: 0, msgNum: 1 });

t.test('one source: resolves in order as the position advances', async (t) => {
  const w = new PositionWaiters();
  w.addSource('flush', 0, 'FLUSH_DISK_TIMEOUT');
  const done: number[] = [];
  const ps = [10, 20, 30].map((end) => w.wait(end, res(end), Date.now() + 60000).then((r) => { done.push(end); return r; }));
  w.advance('flush', 15);
  await new Promise((r) => setImmediate(r));
  t.same(done, [10]);
  t.equal(w.pending, 2);
  w.advance('flush', 5); // never backwards
  t.equal(w.sourcePosition('flush'), 15);
  w.advance('flush', 30);
  const all = await Promise.all(ps);
  t.same(done, [10, 20, 30]);
  t.same(all.map((r) => r.status), ['PUT_OK', 'PUT_OK', 'PUT_OK']);
  t.equal(w.pending, 0);
});

t.test('two sources (flush + replica): acked at the minimum; timeout names the one behind', async (t) => {
  const w = new PositionWaiters();
  w.addSource('flush', 0, 'FLUSH_DISK_TIMEOUT');
  w.addSource('replica', 0, 'FLUSH_SLAVE_TIMEOUT');
  let resolved: PutResult | null = null;
  void w.wait(10, res(10), Date.now() + 60000).then((r) => { resolved = r; });
  const late = w.wait(20, res(20), 0);
  w.advance('flush', 100);
  await new Promise((r) => setImmediate(r));
  t.equal(resolved, null, 'flushed but not replicated: still waiting');
  t.equal(w.ackedPosition, 0);
  w.advance('replica', 12);
  await new Promise((r) => setImmediate(r));
  t.equal(resolved!.status, 'PUT_OK');
  w.expire(Date.now());
  t.equal((await late).status, 'FLUSH_SLAVE_TIMEOUT');
  w.removeSource('replica');
  t.equal(w.ackedPosition, 100);
});

t.test('failAll answers every pending send with the status and reason', async (t) => {
  const w = new PositionWaiters();
  w.addSource('flush', 0, 'FLUSH_DISK_TIMEOUT');
  const a = w.wait(10, res(10), Date.now() + 60000);
  const b = w.wait(20, res(20), Date.now() + 60000);
  w.failAll('SERVICE_NOT_AVAILABLE', 'write failed');
  const [ra, rb] = await Promise.all([a, b]);
  t.equal(ra.status, 'SERVICE_NOT_AVAILABLE');
  t.equal(rb.error, 'write failed');
  t.throws(() => w.advance('nope', 1), /unknown ack source/);
});

t.test('waitThen: callbacks in order with promise waiters, at once when acked, once each', async (t) => {
  const w = new PositionWaiters();
  w.addSource('flush', 0, 'FLUSH_DISK_TIMEOUT');
  const order: string[] = [];
  const cb = (r: PutResult, tag: string) => { order.push(`${tag}:${r.status}`); };
  w.waitThen(10, res(10), Date.now() + 60000, cb, 'a');
  const p = w.wait(20, res(20), Date.now() + 60000).then(() => order.push('b:promise'));
  w.waitThen(30, res(30), Date.now() + 60000, cb, 'c');
  t.same(order, [], 'nothing before the source passes');
  w.advance('flush', 30);
  t.same(order, ['a:PUT_OK', 'c:PUT_OK'], 'callbacks run inside advance, in commit log order');
  await p;
  t.same(order, ['a:PUT_OK', 'c:PUT_OK', 'b:promise']);
  w.waitThen(30, res(30), Date.now() + 60000, cb, 'now');
  t.same(order.at(-1), 'now:PUT_OK', 'an end already acknowledged (nothing waiting) runs at once');
  t.equal(w.pending, 0);
});

t.test('waitThen: deadlines, failAll with a callback that waits again, a throwing callback', async (t) => {
  const w = new PositionWaiters();
  w.addSource('flush', 0, 'FLUSH_DISK_TIMEOUT');
  const seen: string[] = [];
  w.waitThen(10, res(10), 0, (r: PutResult) => { seen.push(`late:${r.status}`); }, null);
  w.expire(Date.now());
  t.same(seen, ['late:FLUSH_DISK_TIMEOUT']);
  w.waitThen(20, res(20), Date.now() + 60000, () => { throw new Error('callback bug'); }, null);
  w.waitThen(30, res(30), Date.now() + 60000, (r: PutResult) => {
    seen.push(`fail:${r.status}:${r.error}`);
    w.waitThen(40, res(40), Date.now() + 60000, (r2: PutResult) => { seen.push(`again:${r2.status}`); }, null);
  }, null);
  const errors: string[] = [];
  const orig = console.error;
  console.error = (m: string) => { errors.push(m); };
  try { w.failAll('SERVICE_NOT_AVAILABLE', 'disk gone'); } finally { console.error = orig; }
  t.same(seen, ['late:FLUSH_DISK_TIMEOUT', 'fail:SERVICE_NOT_AVAILABLE:disk gone'], 'the throwing one did not stop the next');
  t.match(errors[0], /put callback failed: Error: callback bug/);
  t.equal(w.pending, 1, 'the wait registered from inside failAll survives it');
  w.advance('flush', 40);
  t.same(seen.at(-1), 'again:PUT_OK');
});

t.test('the waiter ring: growth while wrapped, thousands pending, callbacks that wait again, order kept', async (t) => {
  const w = new PositionWaiters();
  w.addSource('flush', 0, 'FLUSH_DISK_TIMEOUT');
  const order: number[] = [];
  const cb = (r: PutResult, end: number): void => { t.equal(Number(r.msgId), end); order.push(end); };
  let end = 0;
  // wrap the ring: 40 pending, 30 resolved, then grow it from a wrapped state (64 -> 128 -> ... slots)
  for (let i = 0; i < 40; i++) { end += 10; w.waitThen(end, res(end), Date.now() + 60000, cb, end); }
  w.advance('flush', 300);
  t.equal(w.pending, 10);
  for (let i = 0; i < 5000; i++) { end += 10; w.waitThen(end, res(end), Date.now() + 60000, cb, end); }
  t.equal(w.pending, 5010);
  // a callback that waits again while the ring is being drained: its put is answered in the same pass
  const again: number[] = [];
  w.waitThen(end + 5, res(end + 5), Date.now() + 60000, () => {
    again.push(end + 5);
    w.waitThen(end + 7, res(end + 7), Date.now() + 60000, () => again.push(end + 7), null);
  }, null);
  w.advance('flush', end + 10);
  t.equal(w.pending, 0);
  t.same(again, [end + 5, end + 7]);
  t.equal(order.length, 5040);
  t.ok(order.every((e, i) => i === 0 || e > order[i - 1]!), 'resolved in commit log order');
  // deadlines from the head only, then failAll for the rest, on a ring that grew
  const st: string[] = [];
  end += 10; // past the acked position (a put already acked with nothing pending is answered at once)
  for (let i = 0; i < 100; i++) { end += 10; w.waitThen(end, res(end), i < 60 ? 0 : Date.now() + 60000, (r) => st.push(r.status), null); }
  w.expire(Date.now());
  t.equal(st.length, 60);
  t.ok(st.every((s) => s === 'FLUSH_DISK_TIMEOUT'));
  w.failAll('SERVICE_NOT_AVAILABLE', 'shut down');
  t.equal(st.length, 100);
  t.ok(st.slice(60).every((s) => s === 'SERVICE_NOT_AVAILABLE'));
  t.equal(w.pending, 0);
});
