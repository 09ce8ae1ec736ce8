// PendingCalls (a connection's calls by opaque): the same answers as a Map under random sets, deletes
// and gets, with keys that collide in the table (equal low bits), wrap around its end, and make it grow;
// no tombstones (a table that took and dropped a million keys still has its first capacity).
import t, { type Test } from 'tap';
import { PendingCalls } from '../src/pending-calls.js';

interface Call { id: number }

/** A small deterministic generator (xorshift32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 0x100000000; };
}

function check(t: Test, table: PendingCalls<Call>, model: Map<number, Call>, what: string): boolean {
  if (table.size !== model.size) { t.fail(`${what}: size ${table.size}, expected ${model.size}`); return false; }
  for (const [k, v] of model) if (table.get(k) !== v) { t.fail(`${what}: key ${k} lost`); return false; }
  const entries = table.entries();
  if (entries.length !== model.size || entries.some(([k, v]) => model.get(k) !== v)) { t.fail(`${what}: entries differ`); return false; }
  return true;
}

t.test('matches a Map under random operations', async (t) => {
  for (const [name, keyOf] of [
    ['sequential opaques (as a connection sees them)', (i: number, r: () => number) => i + Math.floor(r() * 3)],
    ['keys 16 apart: all in one home slot of the first table', (i: number) => i * 16],
    ['any int32, negative ones too', (_i: number, r: () => number) => (Math.floor(r() * 0x100000000) | 0)],
    ['few distinct keys (replacing values)', (_i: number, r: () => number) => Math.floor(r() * 40) - 20],
  ] as const) {
    const r = rng(0x9e3779b9 ^ name.length);
    const table = new PendingCalls<Call>();
    const model = new Map<number, Call>();
    const live: number[] = [];
    let ok = true;
    for (let i = 0; i < 20_000 && ok; i++) {
      const op = r();
      if (op < 0.5 || live.length === 0) {
        const k = keyOf(i, r);
        const v = { id: i };
        if (!model.has(k)) live.push(k);
        table.set(k, v); model.set(k, v);
      } else if (op < 0.9) {
        const j = Math.floor(r() * live.length);
        const k = live[j]!;
        live[j] = live[live.length - 1]!; live.pop();
        if (table.delete(k) !== true) { t.fail(`${name}: delete of a present key said no`); ok = false; }
        model.delete(k);
        if (table.delete(k) !== false) { t.fail(`${name}: second delete said yes`); ok = false; }
      } else {
        const k = keyOf(i, r) + 1;
        if (table.get(k) !== model.get(k)) { t.fail(`${name}: get(${k})`); ok = false; }
      }
      if (i % 997 === 0) ok = ok && check(t, table, model, `${name} at ${i}`);
    }
    if (ok && check(t, table, model, name)) t.pass(`${name}: same as a Map after 20,000 operations (${model.size} left, capacity ${table.capacity})`);
  }
});

t.test('deletes leave no tombstones; clear empties; growth keeps every entry', async (t) => {
  const table = new PendingCalls<Call>();
  const first = table.capacity;
  for (let i = 0; i < 1_000_000; i++) { table.set(i, { id: i }); if (i >= 4) table.delete(i - 4); }
  t.equal(table.size, 4);
  t.equal(table.capacity, first, 'a million keys taken and dropped, at most 5 at a time: still the first capacity');
  for (let i = 999_996; i < 1_000_000; i++) t.equal(table.get(i)?.id, i);
  const big = new PendingCalls<Call>();
  for (let i = 0; i < 5000; i++) big.set(i * 7, { id: i });
  t.equal(big.size, 5000);
  t.ok(big.capacity >= 10_000, `grew to ${big.capacity} for 5000 entries (at most half full)`);
  let all = true;
  for (let i = 0; i < 5000; i++) if (big.get(i * 7)?.id !== i) all = false;
  t.ok(all, 'every entry survives growth');
  big.clear();
  t.equal(big.size, 0);
  t.equal(big.get(7), undefined);
  t.same(big.entries(), []);
  big.set(7, { id: 1 });
  t.equal(big.get(7)?.id, 1, 'usable after clear');
});
