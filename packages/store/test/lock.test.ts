// One process per store directory: a second open of the same root is refused while the first holds
// it (flock through the addon, or the pid-file fallback), and is allowed after shutdown or once the
// recorded holder is gone.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { native } from '@rmq/native';
import { acquireStoreLock } from '../src/index.js';

// An addon built before flock existed loads but lacks it: the store then uses the pid file.
const hasFlock = typeof native?.flock === 'function';
import { openStore, tmpDir } from './helpers.js';

t.test('a second open of a store directory is refused until the first shuts down', async (t) => {
  const root = tmpDir('lock');
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const a = await openStore(root);
  await t.rejects(openStore(root), { name: 'StoreLockedError', code: 'ESTORELOCKED', message: /store directory .* is in use by another process \(pid \d+\)/ });
  await a.shutdown();
  const b = await openStore(root);
  await b.shutdown();
});

t.test('flock mode', { skip: hasFlock ? false : 'no native flock' }, async (t) => {
  const root = tmpDir('lock-flock');
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const l = acquireStoreLock(root);
  t.equal(l.mode, 'flock');
  t.throws(() => acquireStoreLock(root), { code: 'ESTORELOCKED' });
  t.match(fs.readFileSync(path.join(root, 'lock'), 'utf8'), new RegExp(`^${process.pid} `));
  l.release();
  const l2 = acquireStoreLock(root);
  l2.release();
});

t.test('pid-file fallback', async (t) => {
  const root = tmpDir('lock-pid');
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const file = path.join(root, 'lock');
  const l = acquireStoreLock(root, { useFlock: false });
  t.equal(l.mode, 'pidfile');
  t.throws(() => acquireStoreLock(root, { useFlock: false }), { code: 'ESTORELOCKED' }, 'held by this live process');
  l.release();
  t.notOk(fs.existsSync(file), 'release removes the pid file');

  // A pid file left by a process that is gone (SIGKILL) is taken over.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  fs.writeFileSync(file, `${dead} 12345\n`);
  const l2 = acquireStoreLock(root, { useFlock: false });
  t.match(fs.readFileSync(file, 'utf8'), new RegExp(`^${process.pid} `));
  l2.release();

  // Our own pid with another start time: a reused pid (e.g. pid 1 in a restarted container).
  fs.writeFileSync(file, `${process.pid} 1\n`);
  acquireStoreLock(root, { useFlock: false }).release();

  // An old empty file (the writer died between create and write) is stale too.
  fs.writeFileSync(file, '');
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(file, old, old);
  acquireStoreLock(root, { useFlock: false }).release();
});

t.test('the two schemes see each other: a flock holder blocks the pid-file fallback', { skip: hasFlock ? false : 'no native flock' }, async (t) => {
  const root = tmpDir('lock-mixed');
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const l = acquireStoreLock(root);
  t.throws(() => acquireStoreLock(root, { useFlock: false }), { code: 'ESTORELOCKED' });
  l.release();
});
