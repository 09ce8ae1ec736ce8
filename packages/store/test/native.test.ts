// The N-API addon (fdatasync, fsync, fallocate, fadvise, pwrite from shared memory) and the store's
// fallback to node:fs when it cannot be loaded.
import t from 'tap';
import * as fs from 'node:fs';
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
