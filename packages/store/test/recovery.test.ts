// Restart recovery: after a clean stop everything comes back; after a crash a torn or corrupt tail is
// cut off, missing ConsumeQueue entries are rebuilt, and appends continue where the valid log ends.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BLANK_MAGIC_CODE, decodeRecord, type MessageStore } from '../src/index.js';
import { msg, openStore, settle, smallConfig, tmpDir, waitFor } from './helpers.js';
import { readCheckpoint } from '../src/checkpoint.js';

async function fill(store: MessageStore, n: number): Promise<void> {
  const ps = [];
  for (let i = 0; i < n; i++) ps.push(store.putMessage(msg(`T${i % 3}`, i % 2, `body-${i}-${'x'.repeat(i % 50)}`, { KEYS: `k${i}`, TAGS: `tag${i % 4}` })));
  for (const r of await Promise.all(ps)) if (r.status !== 'PUT_OK') throw new Error(r.status);
  await waitFor(() => store.dispatchBehindBytes() === 0);
}

function bodies(store: MessageStore, topic: string, q: number): string[] {
  const out: string[] = [];
  let off = store.getMinOffsetInQueue(topic, q);
  for (;;) {
    const g = store.getMessage('g', topic, q, off, 32, 1 << 20);
    if (g.status !== 'FOUND') break;
    for (const b of g.buffers) out.push(decodeRecord(b).body.toString());
    off = g.nextBeginOffset;
  }
  return out;
}

function expected(n: number, topic: string, q: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) if (`T${i % 3}` === topic && i % 2 === q) out.push(`body-${i}-${'x'.repeat(i % 50)}`);
  return out;
}

t.test('clean stop and reopen', async (t) => {
  const root = tmpDir('clean');
  let store = await openStore(root);
  await fill(store, 300);
  const maxPhy = store.getMaxPhyOffset();
  await store.shutdown();
  t.notOk(fs.existsSync(path.join(root, 'abort')), 'no abort file after a clean stop');
  store = await openStore(root);
  t.teardown(() => store.shutdown());
  t.equal(store.getMaxPhyOffset(), maxPhy);
  for (const topic of ['T0', 'T1', 'T2']) for (const q of [0, 1]) {
    t.same(bodies(store, topic, q), expected(300, topic, q), `${topic}/${q}`);
  }
  t.equal(decodeRecord(store.queryMessage('T1', 'k7', 5, 0, Date.now()).buffers[0]).body.toString(), `body-7-${'x'.repeat(7)}`);
  const r = await store.putMessage(msg('T0', 0, 'after'));
  t.equal(r.queueOffset, expected(300, 'T0', 0).length);
  t.equal(r.wroteOffset >= maxPhy, true);
});

t.test('torn tail is truncated and overwritten', async (t) => {
  const root = tmpDir('torn');
  let store = await openStore(root);
  await fill(store, 40);
  const end = store.getMaxPhyOffset();
  const last = store.lookMessageByOffset(store.getCommitLogOffsetInQueue('T0', 1, store.getMaxOffsetInQueue('T0', 1) - 1))!;
  const lastCopy = Buffer.from(last);
  await store.shutdown();
  // a crash in the middle of writing the next record: half of it reached the disk
  const file = path.join(root, 'commitlog', '00000000000000000000');
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, lastCopy.subarray(0, 60), 0, 60, end);
  fs.closeSync(fd);
  fs.writeFileSync(path.join(root, 'abort'), '');
  store = await openStore(root);
  t.equal(store.getMaxPhyOffset(), end, 'log ends before the torn record');
  const tail = Buffer.alloc(60);
  const rfd = fs.openSync(file, 'r');
  fs.readSync(rfd, tail, 0, 60, end);
  fs.closeSync(rfd);
  t.ok(tail.every((b) => b === 0), 'torn bytes zeroed');
  const r = await store.putMessage(msg('T0', 0, 'next'));
  t.equal(r.wroteOffset, end);
  await store.shutdown();
  store = await openStore(root);
  t.teardown(() => store.shutdown());
  t.same(bodies(store, 'T0', 0), [...expected(40, 'T0', 0), 'next']);
});

t.test('a record with a bad CRC ends the log; its queue entry is dropped', async (t) => {
  const root = tmpDir('crc');
  let store = await openStore(root);
  await fill(store, 30);
  const q = 29 % 2, topic = `T${29 % 3}`;
  const maxBefore = store.getMaxOffsetInQueue(topic, q);
  const phy = store.getCommitLogOffsetInQueue(topic, q, maxBefore - 1);
  await store.shutdown();
  const file = path.join(root, 'commitlog', '00000000000000000000');
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, phy + 91);
  b[0] ^= 0xff;
  fs.writeSync(fd, b, 0, 1, phy + 91); // first body byte
  fs.closeSync(fd);
  fs.writeFileSync(path.join(root, 'abort'), '');
  store = await openStore(root);
  t.teardown(() => store.shutdown());
  t.equal(store.getMaxPhyOffset(), phy);
  t.equal(store.getMaxOffsetInQueue(topic, q), maxBefore - 1);
  t.same(bodies(store, topic, q), expected(29, topic, q));
});

t.test('missing consume queues and checkpoint are rebuilt from the commit log', async (t) => {
  const root = tmpDir('rebuild');
  let store = await openStore(root);
  await fill(store, 120);
  await store.shutdown();
  fs.rmSync(path.join(root, 'consumequeue'), { recursive: true });
  fs.rmSync(path.join(root, 'index'), { recursive: true });
  fs.rmSync(path.join(root, 'checkpoint'));
  store = await openStore(root);
  t.teardown(() => store.shutdown());
  for (const topic of ['T0', 'T1', 'T2']) for (const q of [0, 1]) t.same(bodies(store, topic, q), expected(120, topic, q), `${topic}/${q}`);
  t.equal(store.queryMessage('T2', 'k5', 5, 0, Date.now()).buffers.length, 1);
});

t.test('recovery across several commit log files', async (t) => {
  const root = tmpDir('multi');
  let store = await openStore(root);
  await fill(store, 1500);
  t.ok(Number(store.runtimeInfo().commitLogFiles) >= 3);
  await store.shutdown();
  fs.writeFileSync(path.join(root, 'abort'), '');
  store = await openStore(root);
  t.teardown(() => store.shutdown());
  for (const topic of ['T0', 'T1', 'T2']) for (const q of [0, 1]) t.same(bodies(store, topic, q), expected(1500, topic, q), `${topic}/${q}`);
  await waitFor(() => store.isWritable());
});

// A kill -9 between a file roll and the next write-out: the new file exists on disk (created, zero),
// the blank record that seals the previous file never reached it. Recovery ends the log inside the
// previous file and deletes the new one; that file is then the last one again and must take the next
// appends (sealed is a state of the scan, not of "not the last file when listed"). Before the fix it
// stayed marked sealed, appends went to a fresh next file, and the next restart, finding no blank,
// deleted that file: every send after the first restart was lost at the second one.
t.test('crash between a file roll and the blank record reaching the disk', async (t) => {
  const root = tmpDir('roll-crash');
  let store = await openStore(root);
  await fill(store, 700);
  const fileSize = smallConfig(root).mappedFileSizeCommitLog;
  t.ok(store.getMaxPhyOffset() > fileSize, 'the log rolled into a second file');
  await store.shutdown();
  const dir = path.join(root, 'commitlog');
  const f0 = path.join(dir, '00000000000000000000');
  const f1 = path.join(dir, String(fileSize).padStart(20, '0'));
  for (const n of fs.readdirSync(dir)) if (n > path.basename(f1)) fs.rmSync(path.join(dir, n));
  // find the blank record that seals file 0
  const buf = fs.readFileSync(f0);
  let blankAt = 0;
  while (buf.readInt32BE(blankAt + 4) !== BLANK_MAGIC_CODE) blankAt += buf.readInt32BE(blankAt);
  // the crash: no blank in file 0, file 1 preallocated and empty
  buf.fill(0, blankAt);
  fs.writeFileSync(f0, buf);
  fs.writeFileSync(f1, Buffer.alloc(fileSize));
  // the checkpoint of that moment vouched for less than file 0 (none: recovery scans from the first file)
  fs.rmSync(path.join(root, 'checkpoint'));
  fs.writeFileSync(path.join(root, 'abort'), '');
  store = await openStore(root);
  t.equal(store.getMaxPhyOffset(), blankAt, 'the log ends where file 0 holds its last record');
  const before = new Map<string, string[]>();
  for (const topic of ['T0', 'T1', 'T2']) for (const q of [0, 1]) before.set(`${topic}/${q}`, bodies(store, topic, q));
  const ps = [];
  for (let i = 0; i < 200; i++) ps.push(store.putMessage(msg(`T${i % 3}`, i % 2, `after-${i}`)));
  for (const r of await Promise.all(ps)) t.equal(r.status, 'PUT_OK', 'put after the restart');
  await settle(store);
  const maxPhy = store.getMaxPhyOffset();
  await store.shutdown();
  // a second crash (abort file back): recovery scans file 0 and must go on into file 1
  fs.writeFileSync(path.join(root, 'abort'), '');
  store = await openStore(root);
  t.teardown(() => store.shutdown());
  t.equal(store.getMaxPhyOffset(), maxPhy, 'the second restart keeps everything written after the first');
  for (const topic of ['T0', 'T1', 'T2']) for (const q of [0, 1]) {
    const after: string[] = [];
    for (let i = 0; i < 200; i++) if (`T${i % 3}` === topic && i % 2 === q) after.push(`after-${i}`);
    t.same(bodies(store, topic, q), [...before.get(`${topic}/${q}`)!, ...after], `${topic}/${q}: every message of both lives`);
  }
});

t.test('periodic flushes hold back queue files with few dirty pages; the checkpoint never vouches for them', async (t) => {
  const root = tmpDir('least-pages');
  // queue files of 2,000 bytes never get 2 dirty pages: a periodic flush holds every one back
  const over = { flushIntervalConsumeQueue: 10, flushConsumeQueueLeastPages: 2, flushConsumeQueueThoroughInterval: 600000 };
  const store = await openStore(root, over);
  t.teardown(() => store.shutdown());
  await fill(store, 50);
  await settle(store);
  await store.flushLogic(); // an explicit flush writes everything
  const vouched = store.getMaxPhyOffset();
  t.equal(readCheckpoint(path.join(root, 'checkpoint'))?.ext?.logicPhyOffset, vouched, 'an explicit flush vouches for everything dispatched');
  const ps = [];
  for (let i = 50; i < 150; i++) ps.push(store.putMessage(msg(`T${i % 3}`, i % 2, `body-${i}-${'x'.repeat(i % 50)}`, { KEYS: `k${i}`, TAGS: `tag${i % 4}` })));
  for (const r of await Promise.all(ps)) t.equal(r.status, 'PUT_OK');
  await settle(store);
  await new Promise((r) => setTimeout(r, 150)); // several periodic flushes
  t.equal(readCheckpoint(path.join(root, 'checkpoint'))?.ext?.logicPhyOffset, vouched,
    'periodic flushes hold the new entries back and the checkpoint stays below them');
  // the disk image a kill -9 leaves now: recovery rebuilds the held-back entries from the commit log
  const image = tmpDir('least-pages-image');
  fs.cpSync(root, image, { recursive: true });
  fs.writeFileSync(path.join(image, 'abort'), '');
  const recovered = await openStore(image, over);
  for (const topic of ['T0', 'T1', 'T2']) for (const q of [0, 1]) {
    t.same(bodies(recovered, topic, q), expected(150, topic, q), `${topic}/${q}: every entry back after the crash`);
  }
  await recovered.shutdown();
  // a thorough flush (explicit, or every flushConsumeQueueThoroughInterval) writes them and vouches for them
  await store.flushLogic();
  t.equal(readCheckpoint(path.join(root, 'checkpoint'))?.ext?.logicPhyOffset, store.getMaxPhyOffset());
});

t.test('flushConsumeQueueLeastPages=0: every periodic flush writes every dirty queue file', async (t) => {
  const root = tmpDir('least-pages-0');
  const store = await openStore(root, { flushIntervalConsumeQueue: 10, flushConsumeQueueLeastPages: 0, flushConsumeQueueThoroughInterval: 600000 });
  t.teardown(() => store.shutdown());
  await fill(store, 60);
  await settle(store);
  await waitFor(() => readCheckpoint(path.join(root, 'checkpoint'))?.ext?.logicPhyOffset === store.getMaxPhyOffset());
  t.pass('the checkpoint reached the end of the log without an explicit flush');
});
