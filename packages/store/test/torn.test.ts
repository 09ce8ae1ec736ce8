// Fault suite, torn writes: after a crash, the commit log tail, the last ConsumeQueue entry or the last
// IndexFile entries are cut or garbled at random byte positions. Recovery ends the log at the last whole
// record (the garbled/torn record and what follows are gone, and one warning says where), rebuilds the
// queue entries from the log, and never serves a wrong or corrupt message; appends continue.
import crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { decodeRecord, MessageStore, type MessageStore as Store } from '../src/index.js';
import { msg, smallConfig, tmpDir, waitFor } from './helpers.js';

const seed = Number(process.env['FAULT_SEED'] ?? crypto.randomInt(1, 2 ** 31));
let st = seed;
const rand = (n: number): number => { st = (st * 1103515245 + 12345) % 2 ** 31; return st % n; };

function capture(): { lines: string[]; logger: { debug(): void; info(m: string): void; warn(m: string): void; error(m: string): void } } {
  const lines: string[] = [];
  return { lines, logger: { debug() {}, info: (m) => lines.push(`INFO ${m}`), warn: (m) => lines.push(`WARN ${m}`), error: (m) => lines.push(`ERROR ${m}`) } };
}

const N = 200;
const body = (i: number): string => `torn-${i}-${'z'.repeat(i % 40)}`;

async function filled(root: string): Promise<{ store: Store; ends: number[] }> {
  const store = await MessageStore.open(smallConfig(root), capture().logger);
  const ends: number[] = [];
  for (let i = 0; i < N; i++) {
    const r = await store.putMessage(msg('TT', i % 2, body(i), { KEYS: `key${i}` }));
    if (r.status !== 'PUT_OK') throw new Error(r.status);
    ends.push(r.wroteOffset + r.wroteBytes);
  }
  await waitFor(() => store.dispatchBehindBytes() === 0);
  return { store, ends };
}

/** Every message of both queues, decoded; throws on a record that does not decode. */
function readBack(store: Store): string[] {
  const out: string[] = [];
  for (const q of [0, 1]) {
    let off = store.getMinOffsetInQueue('TT', q);
    for (;;) {
      const g = store.getMessage('g', 'TT', q, off, 32, 1 << 20);
      if (g.status !== 'FOUND') break;
      for (const b of g.buffers) out.push(decodeRecord(b).body.toString());
      off = g.nextBeginOffset;
    }
  }
  return out.sort();
}

function commitLogFile(root: string, phy: number, fileSize: number): { file: string; pos: number } {
  const from = phy - (phy % fileSize);
  return { file: path.join(root, 'commitlog', String(from).padStart(20, '0')), pos: phy - from };
}

t.comment(`seed ${seed} (FAULT_SEED=${seed} repeats the byte positions)`);

for (const kind of ['cut', 'garble'] as const) {
  t.test(`commit log tail ${kind === 'cut' ? 'cut (zeroed from a random byte on)' : 'garbled at a random body byte'}`, async (t) => {
    for (let round = 0; round < 3; round++) {
      const root = tmpDir(`torn-cl-${kind}`);
      t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
      const { store, ends } = await filled(root);
      await store.shutdown();
      const cfg = smallConfig(root);
      // damage one of the last 5 records
      const victim = N - 1 - rand(5);
      const start = victim === 0 ? 0 : ends[victim - 1]!;
      const size = ends[victim]! - start;
      const { file, pos } = commitLogFile(root, start, cfg.mappedFileSizeCommitLog);
      const fd = fs.openSync(file, 'r+');
      let at: number;
      if (kind === 'cut') {
        at = pos + rand(size);
        const zeros = Buffer.alloc(Math.min(cfg.mappedFileSizeCommitLog - at, 64 * 1024));
        fs.writeSync(fd, zeros, 0, zeros.length, at);
      } else {
        const bodyLen = Buffer.byteLength(body(victim));
        at = pos + 88 + rand(bodyLen); // inside the body: 84 bytes of fixed fields (IPv4 hosts), 4 of body length
        const b = Buffer.alloc(1);
        fs.readSync(fd, b, 0, 1, at);
        b[0] = b[0]! ^ (1 + rand(255));
        fs.writeSync(fd, b, 0, 1, at);
      }
      fs.closeSync(fd);
      fs.writeFileSync(path.join(root, 'abort'), '');
      const log = capture();
      const again = await MessageStore.open(cfg, log.logger);
      t.equal(again.getMaxPhyOffset(), start, `round ${round}: record ${victim} ${kind} at byte ${at - pos}/${size}: the log ends at the last whole record`);
      const want: string[] = [];
      for (let i = 0; i < victim; i++) want.push(body(i));
      t.same(readBack(again), want.sort(), `round ${round}: exactly the whole records are served`);
      const warnLines = log.lines.filter((l) => l.startsWith('WARN commit log:') && /the log ends there/.test(l));
      if (kind === 'garble') t.equal(warnLines.length, 1, `round ${round}: one log line says where the log ends: ${warnLines[0] ?? ''}`);
      else t.ok(log.lines.some((l) => /recovered: \d+ records scanned, commit log \[0, \d+\)/.test(l)), `round ${round}: the recovery line gives the new end`);
      const r = await again.putMessage(msg('TT', 0, 'after'));
      t.equal(r.wroteOffset, start, `round ${round}: the next append goes where the damaged record was`);
      await again.shutdown();
    }
  });
}

t.test('last ConsumeQueue entry and IndexFile entries garbled', async (t) => {
  for (let round = 0; round < 3; round++) {
    const root = tmpDir('torn-cq');
    t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
    const { store } = await filled(root);
    const maxQ0 = store.getMaxOffsetInQueue('TT', 0);
    await store.shutdown();
    // the last 20-byte entry of queue 0, garbled at a random byte
    const cqFile = path.join(root, 'consumequeue', 'TT', '0', '00000000000000000000');
    const fd = fs.openSync(cqFile, 'r+');
    const at = (maxQ0 - 1) * 20 + rand(20);
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, at);
    b[0] = b[0]! ^ (1 + rand(255));
    fs.writeSync(fd, b, 0, 1, at);
    fs.closeSync(fd);
    // the IndexFile: garble random bytes in its last entries (the entry area is at the end of what is used)
    const idxDir = path.join(root, 'index');
    for (const n of fs.readdirSync(idxDir)) {
      const f = path.join(idxDir, n);
      const size = fs.statSync(f).size;
      const ifd = fs.openSync(f, 'r+');
      for (let k = 0; k < 8; k++) {
        const p = 40 + rand(size - 40);
        fs.readSync(ifd, b, 0, 1, p);
        b[0] = b[0]! ^ (1 + rand(255));
        fs.writeSync(ifd, b, 0, 1, p);
      }
      fs.closeSync(ifd);
    }
    fs.writeFileSync(path.join(root, 'abort'), '');
    const again = await MessageStore.open(smallConfig(root), capture().logger);
    const want = Array.from({ length: N }, (_, i) => body(i)).sort();
    t.same(readBack(again), want, `round ${round}: CQ byte ${at % 20} of the last entry garbled: every message served, intact, from the rebuilt queue`);
    let wrong = 0, found = 0;
    for (let i = 0; i < N; i += 7) {
      const q = again.queryMessage('TT', `key${i}`, 32, 0, Date.now() + 60_000);
      for (const buf of q.buffers) {
        const m = decodeRecord(buf);
        if (m.body.toString() === body(i)) found++;
        else if (!(m.properties ?? '').includes(`key${i}`)) wrong++;
      }
    }
    t.equal(wrong, 0, `round ${round}: index queries never return another key's message`);
    t.ok(found > 0, `round ${round}: index queries still find messages (${found})`);
    await again.shutdown();
  }
});
