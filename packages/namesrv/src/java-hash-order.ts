// Java clients and tools print name-server lists in java.util.HashMap/HashSet iteration order
// (fastjson writes a set or map as it iterates). Reproducing that order makes our bodies byte-equal
// to Apache's for the same content: a HashMap iterates bucket by bucket, bucket = spread(hashCode)
// & (capacity - 1), keys sharing a bucket in insertion order (resizes keep that order). Apache's
// long-lived maps keep the capacity of their largest size; we size by the current one, which only
// differs after many brokers or clusters went away.

import { javaStringHashCode } from '@rmq/remoting';

export { javaStringHashCode };

/** Capacity of a HashMap/HashSet with the default settings after `size` one-by-one inserts. */
export function javaHashCapacity(size: number): number {
  let capacity = 16;
  while (size > capacity * 0.75) capacity *= 2;
  return capacity;
}

/** `keys` (given in insertion order) in the order a default java.util.HashSet<String> iterates them. */
export function javaHashOrder(keys: Iterable<string>, capacity?: number): string[] {
  const list = [...keys];
  const mask = (capacity ?? javaHashCapacity(list.length)) - 1;
  const bucket = (k: string) => {
    const h = javaStringHashCode(k);
    return (h ^ (h >>> 16)) & mask;
  };
  return list
    .map((k, i) => ({ k, i, b: bucket(k) }))
    .sort((x, y) => x.b - y.b || x.i - y.i)
    .map((e) => e.k);
}
