// TimerWheel (src/timer): records link per slot and read back newest first; clear advances; a snapshot
// survives an abandoned (crashed) wheel, later records are truncated away; rolled (next round)
// records share a slot index; dead segments are deleted after a snapshot.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { TimerBatch, TimerWheel } from '../src/timer/timer-wheel.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'timer-wheel-'));

t.test('append, read, clear, snapshot and crash recovery', async (t) => {
  const dir = tmp();
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const P = 100;
  let w = TimerWheel.open({ dir, precisionMs: P, slots: 64, segmentBytes: 32 * 1024 });
  t.equal(w.recovered, false, 'fresh');
  w.initDequeueSlot(1000);
  // three in slot 1000, one in 1001, one overdue (lands in the open slot 1000)
  w.append(100_010, 1, 10); w.append(100_050, 2, 20); w.append(100_099, 3, 30); w.append(100_100, 4, 40);
  t.equal(w.append(5, 5, 50), 1000, 'overdue goes to the lowest open slot');
  t.equal(w.pending, 5);
  const b = new TimerBatch();
  const head = w.read(1000, b);
  t.same([...b.phy.subarray(0, b.n)], [5, 3, 2, 1], 'newest first');
  t.same([...b.size.subarray(0, b.n)], [50, 30, 20, 10]);
  w.append(100_020, 6, 60);
  const b2 = new TimerBatch();
  w.read(1000, b2, head);
  t.same([...b2.phy.subarray(0, b2.n)], [6], 'only records newer than the last read');
  w.meta = '{"enq":7}';
  await w.checkpoint();
  // after the snapshot: clear slot 1000 and add one more, then "crash"
  w.clear(1000);
  w.append(100_150, 7, 70);
  w.abandon();

  w = TimerWheel.open({ dir, precisionMs: P, slots: 64, segmentBytes: 32 * 1024 });
  t.equal(w.recovered, true, 'recovered from the snapshot');
  t.equal(w.meta, '{"enq":7}', 'caller meta restored');
  t.equal(w.dequeueSlot, 1000, 'slot 1000 not cleared in the snapshot: delivered again (at-least-once)');
  t.equal(w.pending, 6, 'the record after the snapshot is not there (the caller re-enqueues it)');
  const b3 = new TimerBatch();
  w.read(1000, b3);
  t.same([...b3.phy.subarray(0, b3.n)].sort(), [1, 2, 3, 5, 6], 'slot 1000 intact');
  const b4 = new TimerBatch();
  w.read(1001, b4);
  t.same([...b4.phy.subarray(0, b4.n)], [4], 'slot 1001 intact, record 7 truncated');
  // appending after recovery overwrites the truncated tail consistently
  w.append(100_150, 8, 80);
  const b5 = new TimerBatch();
  w.read(1001, b5);
  t.same([...b5.phy.subarray(0, b5.n)], [8, 4]);
  await w.close();

  t.throws(() => TimerWheel.open({ dir, precisionMs: 1000, slots: 64, segmentBytes: 32 * 1024 }), /timerPrecisionMs=100/, 'changed precision refused with a clear error');
});

t.test('next-round records share the slot index; dead segments deleted', async (t) => {
  const dir = tmp();
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const w = TimerWheel.open({ dir, precisionMs: 10, slots: 16, segmentBytes: 32 * 1024 });
  w.initDequeueSlot(100);
  w.append(100 * 10, 1, 1);
  w.append((100 + 16) * 10, 2, 2); // one round later, same index
  const b = new TimerBatch();
  w.read(100, b);
  t.equal(b.n, 2, 'both in the chain of index 100 % 16');
  t.equal(Math.floor(b.deliverMs[0]! / 10), 116, 'the caller sees the later round by its due time');
  // fill more than one segment (1024 records each), then clear those slots and snapshot
  for (let i = 0; i < 2100; i++) w.append((101 + (i % 10)) * 10, 100 + i, 1);
  for (let s = 100; s <= 116; s++) w.clear(s); // through the next-round record in segment 0
  w.append(200 * 10, 9999, 1); // keeps the last segment live
  await w.checkpoint(true);
  const files = fs.readdirSync(path.join(dir, 'timerlog'));
  t.ok(files.length <= 2, `segments of cleared slots deleted (${files.length} left)`);
  await w.close();
});
