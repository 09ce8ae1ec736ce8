// The requests of one connection that wait for their responses, by opaque: an open-addressed table
// (linear probing, deletion by backward shift, so no tombstones) over two arrays that are replaced
// only when it grows.
//
// Not a Map. A Map that takes a key and drops it for every request fills with deleted entries and
// rehashes into a fresh table every few dozen requests, and V8 leaves each obsolete table pointing at
// its successor (for iterators that were open on it), entries and all. Once one obsolete table sits in
// the old generation, that pointer keeps its successor alive through every scavenge, and so on down
// the chain, with each table's calls (their messages, promises, results): in the perf driver 40 % of
// each young generation (4-5 MB a scavenge at 20k msgs/s) survived that way until the next full GC,
// and the scavenges took 5-8 ms (docs/design.md, Performance, session 7).

/** Slots of a new table (a power of two): it doubles when more than half full, never shrinks. */
const FIRST_CAPACITY = 16;

export class PendingCalls<V extends object> {
  private keys = new Int32Array(FIRST_CAPACITY);
  private vals = new Array<V | undefined>(FIRST_CAPACITY).fill(undefined);
  private mask = FIRST_CAPACITY - 1;
  private count = 0;

  get size(): number { return this.count; }

  /** Slots in the table (a power of two; it only grows). */
  get capacity(): number { return this.mask + 1; }

  get(key: number): V | undefined {
    const keys = this.keys, vals = this.vals, mask = this.mask;
    for (let i = key & mask; ; i = (i + 1) & mask) {
      const v = vals[i];
      if (v === undefined) return undefined;
      if (keys[i] === key) return v;
    }
  }

  /** Adds the call, or replaces the one with the same key. */
  set(key: number, v: V): void {
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    const keys = this.keys, vals = this.vals, mask = this.mask;
    for (let i = key & mask; ; i = (i + 1) & mask) {
      const cur = vals[i];
      if (cur === undefined) { keys[i] = key; vals[i] = v; this.count++; return; }
      if (keys[i] === key) { vals[i] = v; return; }
    }
  }

  delete(key: number): boolean {
    const keys = this.keys, vals = this.vals, mask = this.mask;
    let i = key & mask;
    for (; ; i = (i + 1) & mask) {
      if (vals[i] === undefined) return false;
      if (keys[i] === key) break;
    }
    vals[i] = undefined;
    this.count--;
    // Backward shift: an entry after the hole moves into it unless its home slot lies cyclically in
    // (hole, its slot], so every entry stays reachable from its home without tombstones.
    for (let j = (i + 1) & mask; vals[j] !== undefined; j = (j + 1) & mask) {
      const home = keys[j]! & mask;
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (stays) continue;
      keys[i] = keys[j]!;
      vals[i] = vals[j];
      vals[j] = undefined;
      i = j;
    }
    return true;
  }

  /** A copy of the entries as [key, call] pairs (for the rare paths that visit them all while changing the table). */
  entries(): [number, V][] {
    const out: [number, V][] = [];
    const keys = this.keys, vals = this.vals;
    for (let i = 0; i < vals.length; i++) { const v = vals[i]; if (v !== undefined) out.push([keys[i]!, v]); }
    return out;
  }

  clear(): void {
    this.vals.fill(undefined);
    this.count = 0;
  }

  private grow(): void {
    const oldKeys = this.keys, oldVals = this.vals;
    const c = (this.mask + 1) * 2;
    this.keys = new Int32Array(c);
    this.vals = new Array<V | undefined>(c).fill(undefined);
    this.mask = c - 1;
    this.count = 0;
    for (let i = 0; i < oldVals.length; i++) { const v = oldVals[i]; if (v !== undefined) this.set(oldKeys[i]!, v); }
  }
}
