// Store invariants (src/invariant.ts): each one is driven to fire here, and the error names the rule
// and the values. A violation on the write path stops the append with an error and the store refuses
// writes from then on (nothing more reaches the disk); one on the read path fails that read (logged,
// an error result) and the store goes on serving. Normal load never fires them: the other store tests
// run with the assertions in place, and the last test here checks that nothing is logged.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';

/** The assertions throwsInvariant uses (a subtest's t). */
interface Asserts { ok(v: unknown, m: string): unknown; match(v: unknown, p: unknown, m: string): unknown; fail(m: string): unknown }
import {
  FLUSH_SOURCE, InvariantError, bodyCrc, MessageStore, PositionWaiters, checkRecord, decodeRecord, encodeRecord, recordLayout, recordSize,
  type DefaultMessageStore, type PutResult, type RecordFields,
} from '../src/index.js';
import { invariant } from '../src/invariant.js';
import type { StoreCore } from '../src/store-core.js';
import { msg, settle, smallConfig, tmpDir, waitFor } from './helpers.js';

function capture(): { errors: string[]; logger: { debug(): void; info(): void; warn(): void; error(m: string): void } } {
  const errors: string[] = [];
  return { errors, logger: { debug() {}, info() {}, warn() {}, error: (m) => errors.push(m) } };
}

async function open(tag: string, over: Parameters<typeof smallConfig>[1] = {}) {
  const root = tmpDir(tag);
  const c = capture();
  const store = await MessageStore.open(smallConfig(root, over), c.logger);
  const core = (store as unknown as { core: StoreCore }).core;
  return { root, store, core, errors: c.errors };
}

/** A store (closed when the test ends) holding n messages on queue 0 of topic, all dispatched. */
async function filled(t: { teardown(fn: () => unknown): void }, tag: string, topic: string, n: number, over: Parameters<typeof smallConfig>[1] = {}) {
  const s = await open(tag, over);
  t.teardown(() => s.store.shutdown());
  return { ...s, rs: await fill(s.store, topic, n) };
}

async function fill(store: DefaultMessageStore, topic: string, n: number): Promise<PutResult[]> {
  const out: PutResult[] = [];
  for (let i = 0; i < n; i++) {
    const r = await store.putMessage(msg(topic, 0, `m-${i}-${'x'.repeat(i * 7)}`, { KEYS: `k${i}` }));
    if (r.status !== 'PUT_OK') throw new Error(`${r.status} ${r.error}`);
    out.push(r);
  }
  await settle(store);
  return out;
}

function throwsInvariant(t: Asserts, fn: () => unknown, rule: RegExp, values: Record<string, number>, what: string): void {
  try {
    fn();
    t.fail(`${what}: no InvariantError`);
  } catch (e) {
    t.ok(e instanceof InvariantError, `${what}: an InvariantError`);
    const ie = e as InvariantError;
    t.match(ie.invariant, rule, `${what}: names the rule`);
    t.match(ie.values, values, `${what}: carries the values`);
    t.match(ie.message, /^store invariant violated: /, `${what}: the message`);
  }
}

const fields = (body: Buffer, props = ''): RecordFields => ({
  topicBytes: Buffer.from('IT'), queueId: 0, flag: 0, body, properties: props, propertiesLength: Buffer.byteLength(props),
  sysFlag: 0, bornTimestamp: 1, bornHost: { ip: '10.1.2.3', port: 4 }, reconsumeTimes: 0, preparedTransactionOffset: 0, bodyCRC: bodyCrc(body),
});

t.test('invariant(): silent when the rule holds, an InvariantError with the named values when not', async (t) => {
  invariant(true, 'never shown', 'a,b', 1, 2);
  throwsInvariant(t, () => invariant(3 <= 2, 'a <= b', 'a,b', 3, 2), /^a <= b$/, { a: 3, b: 2 }, 'a > b');
  try { invariant(false, 'x', 'only', 7); } catch (e) { t.equal((e as Error).message, 'store invariant violated: x (only=7)'); }
});

t.test('record bounds: encode refuses a record that does not fit its target or its size', async (t) => {
  const f = fields(Buffer.from('body'), 'A\u0001b\u0002');
  const size = recordSize(0, 4, 2, f.propertiesLength);
  const small = Buffer.alloc(size - 1, 0xee);
  throwsInvariant(t, () => encodeRecord(small, 0, size, f, 0, 0, 1, { ip: '1.1.1.1', port: 1 }),
    /fits in its target/, { totalSize: size, targetLength: size - 1 }, 'target too small');
  t.ok(small.every((b) => b === 0xee), 'nothing was written into the short target');
  const buf = Buffer.alloc(size + 10);
  throwsInvariant(t, () => encodeRecord(buf, 0, size + 1, f, 0, 0, 1, { ip: '1.1.1.1', port: 1 }),
    /add up to the record size/, { encoded: size, totalSize: size + 1 }, 'fields do not add up');
});

t.test('record bounds on read: fields outside the record', async (t) => {
  const props = 'KEYS\u0001a\u0002';
  const f = fields(Buffer.from([1, 0, 2, 3]), props);
  const size = recordSize(0, 4, 2, f.propertiesLength);
  const buf = Buffer.alloc(size);
  encodeRecord(buf, 0, size, f, 0, 0, 1, { ip: '1.1.1.1', port: 1 });
  t.equal(recordLayout(buf, 0).bodyLength, 4);
  t.same(checkRecord(buf, 0, size, true, 1 << 20), { kind: 'ok', size },
    'a body whose second byte is zero is a whole record (the torn-topic check reads the topic)');
  const bodyLenPos = recordLayout(buf, 0).bodyPos - 4;
  const bad = Buffer.from(buf);
  bad.writeInt32BE(1000, bodyLenPos);
  throwsInvariant(t, () => recordLayout(bad, 0), /lie within the record/, { totalSize: size, bodyLength: 1000 }, 'body past the end');
  t.match(checkRecord(bad, 0, size, false, 1 << 20), { kind: 'corrupt', reason: 'bad body length' });
  const badProps = Buffer.from(buf);
  badProps.writeInt16BE(props.length + 3, size - props.length - 2);
  throwsInvariant(t, () => recordLayout(badProps, 0), /lie within the record/, { propertiesLength: props.length + 3 }, 'properties past the end');
  t.throws(() => decodeRecord(badProps), InvariantError, 'decodeRecord checks the layout too');
});

t.test('commit log append: at the write position, inside the last file', async (t) => {
  const { store, core } = await filled(t, 'inv-append', 'IA', 3);
  const cl = core.commitLog;
  const end = cl.writePos;
  throwsInvariant(t, () => cl.target(end + 8, 100), /starts at the write position/, { phy: end + 8, writePos: end }, 'a gap');
  throwsInvariant(t, () => cl.target(end - 8, 100), /starts at the write position/, { phy: end - 8 }, 'over written bytes');
  throwsInvariant(t, () => cl.target(end, cl.fileSize), /fits in the last file/, { size: cl.fileSize }, 'past the file end');
  throwsInvariant(t, () => cl.finish(end + 1, 10), /finishes where it started/, { phy: end + 1, writePos: end }, 'finish elsewhere');
  t.equal(cl.writePos, end, 'the write position did not move');
  const r = await store.putMessage(msg('IA', 0, 'after'));
  t.equal(r.status, 'PUT_OK', 'appends go on');
  t.equal(r.wroteOffset, end);
});

t.test('queue offsets monotonic at append: a put that would reuse an offset stops with an error, writes stop', async (t) => {
  const { store, core, errors } = await filled(t, 'inv-qoff', 'IQ', 4);
  const cq = core.findQueue('IQ', 0)!;
  const end = core.commitLog.writePos;
  cq.nextOffset = 2; // forged: behind the entries written
  const r = await store.putMessage(msg('IQ', 0, 'dup'));
  t.equal(r.status, 'UNKNOWN_ERROR');
  t.match(r.error, /queue offset is assigned past the entries written.*queueOffset=2, maxOffset=4/);
  t.equal(core.commitLog.writePos, end, 'nothing appended');
  t.equal(store.isWritable(), false, 'the store refuses writes');
  t.match(store.runtimeInfo().lastError, /invariant/);
  t.ok(errors.some((e) => /no longer writable: store invariant violated/.test(e)), 'logged');
  t.equal((await store.putMessage(msg('IQ', 0, 'next'))).status, 'SERVICE_NOT_AVAILABLE');
  t.equal(store.getMessage('g', 'IQ', 0, 0, 32, 1 << 20).messageCount, 4, 'reads go on');
});

t.test('consume queue entries appended in order (queue offset and commit log offset)', async (t) => {
  const { store, core, rs } = await filled(t, 'inv-cq', 'IC', 3);
  const cq = core.findQueue('IC', 0)!;
  const last = rs[2];
  throwsInvariant(t, () => cq.put(1, last.wroteOffset + last.wroteBytes, 100, 0), /appended in queue and commit log order/,
    { q: 1, maxOffset: 3 }, 'over an existing entry');
  throwsInvariant(t, () => cq.put(3, rs[0].wroteOffset, rs[0].wroteBytes, 0), /appended in queue and commit log order/,
    { q: 3, phy: rs[0].wroteOffset, maxPhyEnd: last.wroteOffset + last.wroteBytes }, 'a record before the last one');
  throwsInvariant(t, () => cq.put(3, last.wroteOffset + last.wroteBytes, 0, 0), /names a record size/, { size: 0 }, 'no size');
  t.equal(cq.maxOffset, 3, 'no entry was written');
  t.equal(store.getMessage('g', 'IC', 0, 0, 32, 1 << 20).messageCount, 3);
});

t.test('dispatch: an entry out of commit log order is not written and the store stops writes', async (t) => {
  const { store, core, errors } = await filled(t, 'inv-dispatch', 'ID', 2);
  const cq = core.findQueue('ID', 0)!;
  cq.maxPhyEnd = core.commitLog.writePos + 1_000_000; // forged: the next record is "behind" it
  const r = await store.putMessage(msg('ID', 0, 'late'));
  // (ASYNC_FLUSH: acknowledged once handed to the OS, before its queue entry is written)
  t.equal(r.status, 'PUT_OK');
  await waitFor(() => !store.isWritable());
  t.equal(store.getMaxOffsetInQueue('ID', 0), 2, 'the entry was not written');
  t.match(store.runtimeInfo().lastError, /consume queue ID\/0: store invariant violated: queue entries are appended in queue and commit log order/);
  t.ok(errors.length > 0, 'logged');
  t.equal((await store.putMessage(msg('ID', 0, 'next'))).status, 'SERVICE_NOT_AVAILABLE');
});

t.test('committed and flushed positions: never backwards, flushed <= committed <= written', async (t) => {
  const { store, core } = await filled(t, 'inv-pos', 'IP', 3);
  const cl = core.commitLog;
  const w = cl.writePos;
  t.equal(cl.committedPos, w);
  throwsInvariant(t, () => cl.committed(w + 1), /never passes writePos/, { pos: w + 1, writePos: w }, 'committed past written');
  throwsInvariant(t, () => cl.committed(w - 1), /committedPos only grows/, { pos: w - 1, committedPos: w }, 'committed backwards');
  throwsInvariant(t, () => cl.flushed(w + 1), /never passes committedPos/, { pos: w + 1, committedPos: w }, 'flushed past committed');
  throwsInvariant(t, () => cl.flushed(cl.flushedPos - 1), /flushedPos only grows/, { pos: cl.flushedPos - 1 }, 'flushed backwards');
  t.equal(cl.committedPos, w);
  t.equal(cl.flushedPos, w);
});

t.test('the flush ack position never passes the write position nor goes back', async (t) => {
  const w = new PositionWaiters(() => 100);
  w.addSource('flush', 0, 'FLUSH_DISK_TIMEOUT');
  w.advance('flush', 60);
  throwsInvariant(t, () => w.advance('flush', 101), /up to the write position/, { pos: 101, writePos: 100 }, 'publish past the write position');
  throwsInvariant(t, () => w.advance('flush', 50), /only moves forward/, { pos: 50, sourcePos: 60 }, 'publish backwards');
  t.equal(w.sourcePosition('flush'), 60);
  const res = (end: number): PutResult => ({ status: 'PUT_OK', wroteOffset: end - 10, wroteBytes: 10, queueOffset: 0, msgId: '', storeTimestamp: 0, msgNum: 1 });
  const p = w.wait(90, res(90), Date.now() + 60000);
  throwsInvariant(t, () => w.wait(80, res(80), Date.now() + 60000), /in commit log order/, { end: 80, lastEnd: 90 }, 'a wait out of order');
  throwsInvariant(t, () => w.wait(120, res(120), Date.now() + 60000), /ends already appended/, { end: 120, writePos: 100 }, 'a wait past the log');
  w.advance('flush', 95);
  t.equal((await p).status, 'PUT_OK');
  const loose = new PositionWaiters();
  loose.addSource('replica', 50, 'FLUSH_SLAVE_TIMEOUT');
  loose.advance('replica', 10);
  t.equal(loose.sourcePosition('replica'), 50, 'without a limit a lower position is ignored (a reconnected slave)');

  const s = await filled(t, 'inv-publish', 'IW', 2);
  const end = s.store.getMaxPhyOffset();
  throwsInvariant(t, () => s.store.waiters.advance(FLUSH_SOURCE, end + 1), /up to the write position/, { pos: end + 1, writePos: end },
    "the store's flush source");
});

t.test('SYNC_FLUSH: an fdatasync ending past committedPos stops writes and fails the waiting sends', async (t) => {
  const { store, core } = await filled(t, 'inv-sync', 'IS', 2, { flushDiskType: 'SYNC_FLUSH' });
  const cl = core.commitLog;
  store.testHooks.flushDelayMs = 300;
  const put = store.putMessage(msg('IS', 0, 'waiting'));
  await waitFor(() => cl.committedPos === cl.writePos && cl.flushedPos < cl.committedPos);
  cl.committedPos = cl.flushedPos; // forged while the sync of [flushedPos, writePos) runs
  const r = await put;
  t.equal(r.status, 'SERVICE_NOT_AVAILABLE');
  t.match(r.error, /flushedPos only grows and never passes committedPos/);
  t.equal(store.isWritable(), false);
  t.ok(cl.flushedPos < cl.writePos, 'flushedPos did not move past the (forged) committed position');
});

t.test('read: a queue entry pointing past the written log fails that pull with an error, logged', async (t) => {
  const { store, core, errors } = await filled(t, 'inv-read', 'IR', 3);
  const cq = core.findQueue('IR', 0)!;
  const committed = core.commitLog.committedPos;
  cq.put(3, committed + 1000, 200, 0); // forged entry
  const g = store.getMessage('g', 'IR', 0, 3, 32, 1 << 20);
  t.equal(g.status, 'INVARIANT_VIOLATED');
  t.equal(g.messageCount, 0);
  t.equal(g.nextBeginOffset, 3);
  t.match(g.error, new RegExp(`queue entry points at a record within the written commit log \\(q=3, phy=${committed + 1000}, size=200, committedPos=${committed}\\)`));
  t.ok(errors.some((e) => /consume queue IR\/0 offset 3: store invariant violated/.test(e)), 'logged');
  const before = store.getMessage('g', 'IR', 0, 0, 32, 1 << 20);
  t.equal(before.status, 'FOUND', 'the entries before it are served');
  t.equal(before.messageCount, 3);
  t.equal(before.nextBeginOffset, 3, 'the next pull starts at the bad entry');
  t.equal(store.getMessageStoreTimeStamp('IR', 0, 3), -1, 'store time lookups report it too');
  t.equal(store.isWritable(), true, 'a read violation does not stop the store');
  t.equal((await store.putMessage(msg('IR', 1, 'more'))).status, 'PUT_OK');
});

t.test('read: an entry at the wrong offset, or naming another queue offset, is not served', async (t) => {
  const { store, core, rs } = await filled(t, 'inv-read2', 'IX', 4);
  const cq = core.findQueue('IX', 0)!;
  cq.rebuild(1, rs[1].wroteOffset + 8, rs[1].wroteBytes, 0); // forged: inside the record
  const g1 = store.getMessage('g', 'IX', 0, 1, 1, 1 << 20);
  t.equal(g1.status, 'INVARIANT_VIOLATED');
  t.match(g1.error, /V1 magic and the size its queue entry names/);
  cq.rebuild(2, rs[3].wroteOffset, rs[3].wroteBytes, 0); // forged: queue offset 3's record
  const g2 = store.getMessage('g', 'IX', 0, 2, 1, 1 << 20);
  t.equal(g2.status, 'INVARIANT_VIOLATED');
  t.match(g2.error, /names the queue offset its entry is at \(q=2, recordQueueOffset=3/);
  const g3 = store.getMessage('g', 'IX', 0, 3, 1, 1 << 20);
  t.equal(g3.status, 'FOUND', 'the good entry after them is served');
  t.equal(decodeRecord(g3.buffers[0]).queueOffset, 3);
});

t.test('read: a record whose body length points past it (corrupt on disk) fails the pull and the key query skips it', async (t) => {
  const root = tmpDir('inv-disk');
  let c = capture();
  let store = await MessageStore.open(smallConfig(root), c.logger);
  const rs = await fill(store, 'IB', 3);
  await store.shutdown();
  // bit rot in record 1's body length (a clean stop: recovery does not scan it again)
  const file = path.join(root, 'commitlog', '00000000000000000000');
  const log = fs.readFileSync(file);
  const l = recordLayout(log, rs[1].wroteOffset);
  log.writeInt32BE(l.bodyLength + 5000, l.bodyPos - 4);
  fs.writeFileSync(file, log);
  c = capture();
  store = await MessageStore.open(smallConfig(root), c.logger);
  t.teardown(() => store.shutdown());
  const g = store.getMessage('g', 'IB', 0, 1, 32, 1 << 20);
  t.equal(g.status, 'INVARIANT_VIOLATED');
  t.match(g.error, /body, topic and properties lie within the record/);
  t.equal(store.getMessage('g', 'IB', 0, 0, 32, 1 << 20).messageCount, 1, 'record 0 is served, the pull stops before record 1');
  const q = store.queryMessage('IB', 'k1', 32, 0, Date.now() + 1000);
  t.equal(q.buffers.length, 0, 'the key query skips it');
  t.ok(c.errors.some((e) => /index entry for IB#k1/.test(e)), 'and logs it');
  t.equal(store.queryMessage('IB', 'k2', 32, 0, Date.now() + 1000).buffers.length, 1);
});

t.test('replication: a record that does not land at the offset it names is refused; ack past the log sends nothing', async (t) => {
  const slave = await open('inv-slave');
  t.teardown(() => slave.store.shutdown());
  const rep = slave.store.replication();
  const f = fields(Buffer.from('replicated'));
  const size = recordSize(0, f.body.length, 2, 0);
  const rec = Buffer.alloc(size);
  encodeRecord(rec, 0, size, f, 0, 4096, Date.now(), { ip: '1.1.1.1', port: 1 }); // names offset 4096
  const why = rep.appendReplicated(0, rec);
  t.match(why, /lands at the commit log offset it names \(at=0, recordPhy=4096/);
  t.equal(slave.store.isWritable(), false, 'the slave refuses further bytes');
  t.equal(slave.store.getMaxOffsetInQueue('IT', 0), 0, 'no queue entry for it');

  const master = await filled(t, 'inv-master', 'IM', 2);
  const mrep = master.store.replication();
  t.ok(mrep.readForTransfer(0, 1 << 20) !== null, 'bytes are sent normally');
  master.core.commitLog.committedPos = master.core.commitLog.writePos + 10; // forged (ASYNC: ack = committed)
  t.equal(mrep.readForTransfer(0, 1 << 20), null);
  master.core.commitLog.committedPos = master.core.commitLog.writePos;
  t.ok(master.errors.some((e) => /acknowledged position never passes the write position/.test(e)), 'logged');
});

t.test('normal load (batches, singles, file rolls, SYNC and ASYNC) fires none of them', async (t) => {
  for (const flushDiskType of ['ASYNC_FLUSH', 'SYNC_FLUSH'] as const) {
    const { store, errors } = await open(`inv-normal-${flushDiskType}`, { flushDiskType });
    const puts: Promise<PutResult>[] = [];
    for (let i = 0; i < 600; i++) {
      const body = Buffer.alloc(50 + (i % 300), i & 255);
      if (i % 10 === 0) puts.push(store.putMessages('N', i % 3, [msg('N', i % 3, body), msg('N', i % 3, body)]));
      else puts.push(store.putMessage(msg('N', i % 3, body, { TAGS: `t${i % 4}` })));
    }
    const rs = await Promise.all(puts);
    t.ok(rs.every((r) => r.status === 'PUT_OK'), `${flushDiskType}: every put acknowledged`);
    await settle(store);
    let n = 0;
    for (let q = 0; q < 3; q++) {
      for (let off = 0; ;) {
        const g = store.getMessage('g', 'N', q, off, 64, 1 << 20);
        if (g.status !== 'FOUND') { t.not(g.status, 'INVARIANT_VIOLATED'); break; }
        n += g.messageCount;
        off = g.nextBeginOffset;
      }
    }
    t.equal(n, 660, `${flushDiskType}: all read back`);
    t.ok(Number(store.runtimeInfo().commitLogFiles) > 1, 'the log rolled over files');
    await store.shutdown();
    t.same(errors, [], `${flushDiskType}: nothing logged`);
  }
});
