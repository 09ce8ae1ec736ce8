// The N-API addon (fdatasync, fsync, fallocate, fadvise, pwrite from shared memory, crc32) and the store's
// fallback to node:fs when it cannot be loaded.
import t from 'tap';
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { native, FADV } from '@rmq/native';
import { tmpDir } from './helpers.js';

t.test('addon calls', { skip: native === null ? 'addon not built' : false }, async (t) => {
  const n = native!;
  const file = path.join(tmpDir('native'), 'f');
  const fd = fs.openSync(file, 'w+');
  t.teardown(() => fs.closeSync(fd));
  n.fallocate(fd, 0, 1 << 20);
  t.equal(fs.fstatSync(fd).size, 1 << 20, 'fallocate extends the file');
  const sab = new SharedArrayBuffer(64);
  const view = new Uint8Array(sab);
  view.set(Buffer.from('shared bytes'), 8);
  t.equal(n.pwrite(fd, view, 8, 12, 4096), 12);
  n.fdatasync(fd);
  n.fsync(fd);
  n.fadvise(fd, 0, 0, FADV.DONTNEED);
  const back = Buffer.alloc(12);
  fs.readSync(fd, back, 0, 12, 4096);
  t.equal(back.toString(), 'shared bytes');
  t.throws(() => n.fdatasync(987654), { code: 'EBADF' });
  t.throws(() => n.pwrite(fd, view, 60, 10, 0), RangeError);
});

t.test('crc32 by carry-less multiplication equals zlib for every length and alignment', { skip: native === null ? 'addon not built' : false }, async (t) => {
  const n = native!;
  const nodeCrc = (zlib as { crc32?: (b: Uint8Array) => number }).crc32; // Node >= 20.15
  const data = randomBytes(70_000);
  let mismatches = 0;
  let first = '';
  const check = (off: number, len: number): void => {
    const b = data.subarray(off, off + len);
    const fast = n.crc32(b), slow = n.crc32(b, true), node = nodeCrc ? nodeCrc(b) : slow;
    if (fast !== slow || slow !== node) { if (!first) first = `len ${len} off ${off}: ${fast} / ${slow} / ${node}`; mismatches++; }
  };
  // every length 0..300 at every alignment 0..15 (the 64- and 16-byte folding boundaries and the tail)
  for (let len = 0; len <= 300; len++) for (let off = 0; off < 16; off++) check(off, len);
  for (let i = 0; i < 2000; i++) { const len = Math.floor(Math.random() * 66_000); check(Math.floor(Math.random() * (70_000 - len)), len); }
  t.equal(mismatches, 0, `crc32 agrees with zlib over ${301 * 16 + 2000} buffers${first ? `; first mismatch ${first}` : ''}`);
  t.equal(n.crc32(Buffer.from('123456789')), 0xcbf43926, 'the CRC-32 check value');
  const sab = Buffer.from(new SharedArrayBuffer(2048));
  const body = data.subarray(5, 1029);
  t.equal(n.copyCrc(sab, 100, body), (n.crc32(body, true) & 0x7fffffff), 'copyCrc returns the 31-bit body CRC');
  t.ok(sab.subarray(100, 1124).equals(body), 'and copies the body');
});

t.test('store falls back to node:fs without the addon and says so once', async (t) => {
  const child = fileURLToPath(new URL('./fixtures/fallback-child.ts', import.meta.url));
  const execArgv = process.execArgv.filter((a) => a.includes('typescript') || a.includes('tsx') || a.includes('loader'));
  const root = path.join(tmpDir('fallback'), 'store');
  const r = spawnSync(process.execPath, [...execArgv, child, root], { env: { ...process.env, RMQ_NATIVE_DISABLE: '1' }, encoding: 'utf8', timeout: 120000 });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  t.equal(out.nativeLoaded, false);
  t.equal(out.addon, 'fallback');
  t.equal(out.status, 'PUT_OK');
  t.equal(out.size, 64 * 1024, 'file sized by ftruncate');
  t.equal(out.warnings.filter((w: string) => /native addon not loaded/.test(w)).length, 1, 'logged once');
});

t.test('prefaultAsync backs memory on a pool thread, then calls back', { skip: native === null ? 'addon not built' : false }, async (t) => {
  const n = native!;
  const sab = new SharedArrayBuffer(4 << 20);
  const view = new Uint8Array(sab);
  let sync = true;
  const populated = await new Promise<boolean>((resolve) => { n.prefaultAsync(view, true, resolve); sync = false; });
  t.notOk(sync, 'the callback runs after the call returns');
  t.type(populated, 'boolean');
  view[0] = 7; view[view.length - 1] = 9;
  t.same([view[0], view[1], view[view.length - 1]], [7, 0, 9], 'the memory is usable, zeroed');
  t.throws(() => n.prefaultAsync(view, true, undefined as unknown as () => void), TypeError);
  t.throws(() => n.prefaultAsync({} as Uint8Array, true, () => {}), TypeError);
});
