// Fault suite, disk full: `mq-server standalone` on a small tmpfs (mounted by the test; needs root)
// under a send load until the filesystem is full: sends get SERVICE_NOT_AVAILABLE (14) with a
// disk-full remark, reads keep working and serve only whole records, and once space is freed
// (a filler file beside the store is deleted) sending works again without a restart: queue offsets
// continue without a gap or duplicate and every acknowledged message reads back intact, also after a
// restart. Where mount is not permitted the store-level hooks (packages/store/test/diskfull.test.ts)
// are the coverage and this file says so.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { decodeMessages } from '../packages/remoting/dist/index.js';
import { Admin, sendHeaderV2, startServer, tmpDir, waitFor } from './helpers/mq-process.js';

t.test('disk full on a 40 MiB tmpfs', async (t) => {
  const dir = tmpDir('fault-diskfull');
  const mnt = path.join(dir, 'mnt');
  fs.mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=40m', 'tmpfs', mnt], { stdio: 'pipe' });
  } catch (e) {
    t.comment(`tmpfs mount not permitted here (${(e as Error).message.split('\n')[0]}); disk-full coverage is the store's fault hooks`);
    fs.rmSync(dir, { recursive: true, force: true });
    return;
  }
  t.teardown(() => { try { execFileSync('umount', ['-l', mnt]); } catch { /* gone */ } fs.rmSync(dir, { recursive: true, force: true }); });
  // a filler file that takes most of the space, freed later
  const filler = path.join(mnt, 'filler');
  fs.writeFileSync(filler, Buffer.alloc(24 * 1024 * 1024, 1));
  const storeDir = path.join(mnt, 'store');
  const s = await startServer({ storeDir, extra: ['--flushDiskType=SYNC_FLUSH', '--mappedFileSizeCommitLog=4194304', '--diskMaxUsedSpaceRatio=95'] });
  t.teardown(() => s.kill());
  const admin = new Admin();
  t.teardown(() => admin.close());
  await admin.createTopic(s, 'FullTopic', 1);
  const payload = Buffer.alloc(64 * 1024, 0x62);
  let ok = 0, refused = 0, remark = '', otherErr = '';
  for (let i = 0; i < 1000 && refused === 0; i++) {
    const r = await admin.call(s.brokerAddr, 310, sendHeaderV2('FullTopic', 0), payload, 10_000);
    if (r.code === 0) ok++;
    else if (r.code === 14) { refused++; remark = r.remark ?? ''; }
    else { otherErr = `${r.code} ${r.remark}`; break; }
  }
  t.equal(otherErr, '', 'no other error than SERVICE_NOT_AVAILABLE');
  t.ok(refused > 0, `after ${ok} sends of 64 KiB the filesystem is full: SERVICE_NOT_AVAILABLE`);
  t.match(remark, /disk|space|ENOSPC|full/i, `the remark says why: ${remark}`);
  // reads keep working and serve only whole records
  let read = 0, offset = 0;
  for (;;) {
    const r = await admin.pull(s, 'FullTopic', 0, offset, 32);
    if (r.code !== 0) break;
    const msgs = decodeMessages(r.bodyBuffer()!);
    for (const m of msgs) { if (m.body.length !== payload.length || !m.body.equals(payload)) t.fail(`record ${m.queueOffset} not whole`); read++; }
    offset = msgs[msgs.length - 1]!.queueOffset + 1;
  }
  t.equal(read, ok, `reads keep working: all ${ok} acknowledged records read back whole, nothing half-written`);
  // Free the space: the store probes every second (and on a refused send) and resumes by itself.
  fs.rmSync(filler);
  let live = { code: -1, remark: '' as string | undefined, queueOffset: -1 };
  await waitFor(async () => {
    const r = await admin.call(s.brokerAddr, 310, sendHeaderV2('FullTopic', 0), Buffer.from('after space was freed #0'), 10_000);
    live = { code: r.code, remark: r.remark ?? '', queueOffset: Number(r.ext('queueOffset')) };
    return r.code !== 14; // 14: still paused
  }, 30_000, 'sending to resume').catch(() => undefined);
  if (live.code === 0) t.equal(live.queueOffset, ok, 'the first message after the pause follows the acknowledged ones');
  t.equal(live.code, 0, `sending resumes once space is freed, without a restart (${live.remark ?? ''})`);
  const acked = new Map<number, string>([[ok, 'after space was freed #0']]);
  for (let i = 1; i < 20; i++) {
    const body = `after space was freed #${i}`;
    const r = await admin.call(s.brokerAddr, 310, sendHeaderV2('FullTopic', 0), Buffer.from(body), 10_000);
    t.equal(r.code, 0, `send ${i} after the pause`);
    if (r.code === 0) acked.set(Number(r.ext('queueOffset')), body);
  }
  t.same([...acked.keys()], Array.from({ length: 20 }, (_, i) => ok + i), 'queue offsets contiguous: no gap, no duplicate');
  const readAll = async (srv: typeof s) => {
    const got: { off: number; body: Buffer }[] = [];
    let at = 0;
    for (;;) {
      const r = await admin.pull(srv, 'FullTopic', 0, at, 32);
      if (r.code !== 0) break;
      const msgs = decodeMessages(r.bodyBuffer()!);
      for (const m of msgs) got.push({ off: m.queueOffset, body: m.body });
      at = msgs[msgs.length - 1]!.queueOffset + 1;
    }
    return got;
  };
  const check = (got: { off: number; body: Buffer }[], when: string) => {
    t.same(got.map((g) => g.off), Array.from({ length: ok + acked.size }, (_, i) => i), `${when}: offsets 0..${ok + acked.size - 1}, each once`);
    let bad = 0;
    for (const g of got) {
      const want = g.off < ok ? payload : Buffer.from(acked.get(g.off) ?? '');
      if (!g.body.equals(want)) bad++;
    }
    t.equal(bad, 0, `${when}: every acknowledged message reads back intact`);
  };
  check(await readAll(s), 'live');
  for (const line of (s.out() + s.err()).split('\n')) if (/no longer writable|writable again/.test(line)) t.comment(line.slice(0, 300));
  t.match(s.out() + s.err(), /no longer writable[^\n]*disk full/, 'one line on entering the read-only state');
  t.match(s.out() + s.err(), /writable again/, 'one line on leaving it');
  const stopped = await s.stop();
  t.equal(stopped.code, 0, 'the broker stops cleanly');
  const s2 = await startServer({ storeDir, extra: ['--flushDiskType=SYNC_FLUSH', '--mappedFileSizeCommitLog=4194304', '--diskMaxUsedSpaceRatio=95'],
    nsPort: Number(s.nsAddr.split(':')[1]), port: Number(s.brokerAddr.split(':')[1]) });
  t.teardown(() => s2.kill());
  await admin.waitRoute(s2, 'FullTopic');
  check(await readAll(s2), 'after a restart');
  const after = await admin.call(s2.brokerAddr, 310, sendHeaderV2('FullTopic', 0), Buffer.from('after restart'), 10_000);
  t.equal(after.code, 0, 'sending works after a restart');
  t.equal(Number(after.ext('queueOffset')), ok + acked.size, 'and follows the acknowledged ones');
  t.notMatch(s.err(), /Unhandled|TypeError|RangeError/, 'no error traces');
});
