// Retention: whole expired commit log files are deleted oldest first, never the file being written
// nor one not yet flushed/dispatched; queues and index follow; reads in progress stay valid.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeRecord } from '../src/index.js';
import { msg, openStore, settle, tmpDir, waitFor } from './helpers.js';

t.test('expired files are deleted, queues move their min offset', async (t) => {
  const root = tmpDir('ret');
  const store = await openStore(root, { fileReservedTime: 1, deleteWhen: '99' });
  t.teardown(() => store.shutdown());
  const body = Buffer.alloc(2000, 7);
  for (let i = 0; i < 200; i++) {
    const r = await store.putMessage(msg('R', i % 2, body, { KEYS: `r${i}` }));
    t.equal(r.status, 'PUT_OK');
  }
  await settle(store);
  const dir = path.join(root, 'commitlog');
  const before = fs.readdirSync(dir).sort();
  t.ok(before.length >= 6, `${before.length} files`);
  // a reader holds a buffer from the first file
  const held = store.getMessage('g', 'R', 0, 0, 1, 1 << 20).buffers[0];
  t.equal(store.deleteExpiredFiles(Date.now(), false), 0, 'not the deleteWhen hour, disk not full');
  t.equal(store.deleteExpiredFiles(Date.now(), true), 0, 'files younger than fileReservedTime stay');
  // age the first three files
  const old = (Date.now() - 2 * 3600 * 1000) / 1000;
  for (const n of before.slice(0, 3)) fs.utimesSync(path.join(dir, n), old, old);
  t.equal(store.deleteExpiredFiles(Date.now(), true), 3);
  const after = fs.readdirSync(dir).sort();
  t.same(after, before.slice(3));
  t.equal(store.getMinPhyOffset(), Number(before[3]));
  const min0 = store.getMinOffsetInQueue('R', 0);
  t.ok(min0 > 0, `queue 0 min offset moved to ${min0}`);
  const g = store.getMessage('g', 'R', 0, 0, 4, 1 << 20);
  t.equal(g.status, 'OFFSET_TOO_SMALL');
  t.equal(g.nextBeginOffset, min0);
  const g2 = store.getMessage('g', 'R', 0, min0, 4, 1 << 20);
  t.equal(g2.status, 'FOUND');
  t.ok(decodeRecord(g2.buffers[0]).commitLogOffset >= store.getMinPhyOffset());
  t.equal(decodeRecord(held).body.length, 2000, 'a buffer taken before deletion still reads');
  t.equal(store.lookMessageByOffset(0), null, 'deleted offsets are gone');
  // even when everything is expired, the file being written stays
  for (const n of fs.readdirSync(dir)) fs.utimesSync(path.join(dir, n), old, old);
  store.deleteExpiredFiles(Date.now(), true);
  t.equal(fs.readdirSync(dir).length, 1, 'the last file is kept');
  const r = await store.putMessage(msg('R', 0, 'still writable'));
  t.equal(r.status, 'PUT_OK');
});

t.test('deleteWhen hour triggers deletion without force', async (t) => {
  const root = tmpDir('ret2');
  const hour = String(new Date().getHours()).padStart(2, '0');
  const store = await openStore(root, { fileReservedTime: 0, deleteWhen: `03;${hour}` });
  t.teardown(() => store.shutdown());
  for (let i = 0; i < 80; i++) await store.putMessage(msg('W', 0, Buffer.alloc(2000)));
  await settle(store);
  const n = fs.readdirSync(path.join(root, 'commitlog')).length;
  t.ok(n >= 2);
  t.equal(store.deleteExpiredFiles(Date.now() + 1000), n - 1);
});

t.test('deleteTopics removes queues', async (t) => {
  const root = tmpDir('deltopic');
  const store = await openStore(root);
  t.teardown(() => store.shutdown());
  await store.putMessage(msg('Gone', 0, 'x'));
  await waitFor(() => store.getMaxOffsetInQueue('Gone', 0) === 1);
  store.deleteTopics(['Gone']);
  t.equal(store.getMessage('g', 'Gone', 0, 0, 1, 1 << 20).status, 'NO_MATCHED_LOGIC_QUEUE');
  t.notOk(fs.existsSync(path.join(root, 'consumequeue', 'Gone')));
});
