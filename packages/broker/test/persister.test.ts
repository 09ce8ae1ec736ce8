// Metadata persistence failures are logged once with the path and the cause (not swallowed), and
// logged again only after a write succeeded in between.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '@rmq/remoting';
import { Persister } from '../src/common/json-file.js';

function collector(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const put = (m: string): void => { lines.push(m); };
  return { log: { debug: put, info: put, warn: put, error: put }, lines };
}

t.test('a failing write is logged once with its path, again after a success', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'persister-test-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const blocker = path.join(dir, 'not-a-dir');
  fs.writeFileSync(blocker, 'x');
  const file = path.join(blocker, 'config', 'topics.json'); // parent is a file: mkdir fails
  const { log, lines } = collector();
  const p = new Persister(file, () => '{}', log);
  await t.rejects(p.request());
  await t.rejects(p.request());
  t.equal(lines.length, 1, 'two failures, one line');
  t.match(lines[0], file);
  t.match(lines[0], /failed: /);

  fs.rmSync(blocker);
  await p.request();
  t.equal(JSON.parse(fs.readFileSync(file, 'utf8')).constructor, Object, 'written once the path is usable');
  t.equal(lines.length, 2);
  t.match(lines[1], /written again/);
  fs.rmSync(path.join(dir, 'not-a-dir'), { recursive: true });
  fs.writeFileSync(blocker, 'x');
  await t.rejects(p.request());
  t.equal(lines.length, 3, 'a new outage is logged again');
});
