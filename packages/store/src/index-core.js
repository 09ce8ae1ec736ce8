// @ts-check
// IndexFile entry writing, shared by the main thread (recovery) and the DISPATCH pool worker. Plain JS
// (checked by tsc) so workers start without a TypeScript loader.
//   layout: 40-byte header | hashSlotNum x int32 slot (latest entry number) | indexNum x 20-byte entry
//   entry: keyHash int32 | phyOffset int64 | timeDiff int32 (s since beginTimestamp) | prev entry int32

export const INDEX_HEADER_SIZE = 40;
export const HASH_SLOT_SIZE = 4;
export const INDEX_SIZE = 20;
export const DIRTY_PAGE = 64 * 1024;

/** java.lang.String.hashCode over UTF-16 code units. @param {string} s */
export function javaHashCode(s) {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Math.abs of the Java hash, 0 for Integer.MIN_VALUE, as RocketMQ's index does. @param {string} key */
export function indexKeyHash(key) {
  const h = javaHashCode(key);
  return h === -2147483648 ? 0 : Math.abs(h);
}

/**
 * @typedef {{ beginTimestamp: number, endTimestamp: number, beginPhyOffset: number, endPhyOffset: number,
 *   hashSlotCount: number, indexCount: number }} IndexHeader
 */

/**
 * Adds key -> phyOffset to the index held in `dv` (a view of the whole file). Updates `h` and marks the
 * touched slot page in `dirty` (one byte per DIRTY_PAGE of header + slots). Returns false when full.
 * @param {DataView} dv @param {Uint8Array} dirty @param {IndexHeader} h @param {number} hashSlotNum
 * @param {number} indexNum @param {string} key @param {number} phyOffset @param {number} storeTimestamp
 */
export function putIndexKey(dv, dirty, h, hashSlotNum, indexNum, key, phyOffset, storeTimestamp) {
  if (h.indexCount >= indexNum) return false;
  const keyHash = indexKeyHash(key);
  const absSlot = INDEX_HEADER_SIZE + (keyHash % hashSlotNum) * HASH_SLOT_SIZE;
  let slotValue = dv.getInt32(absSlot);
  if (slotValue <= 0 || slotValue > h.indexCount) slotValue = 0;
  let timeDiff = Math.trunc((storeTimestamp - h.beginTimestamp) / 1000);
  if (h.beginTimestamp <= 0) timeDiff = 0;
  else if (timeDiff > 0x7fffffff) timeDiff = 0x7fffffff;
  else if (timeDiff < 0) timeDiff = 0;
  const absIndex = INDEX_HEADER_SIZE + hashSlotNum * HASH_SLOT_SIZE + h.indexCount * INDEX_SIZE;
  dv.setInt32(absIndex, keyHash);
  const hi = Math.floor(phyOffset / 4294967296);
  dv.setInt32(absIndex + 4, hi | 0);
  dv.setUint32(absIndex + 8, (phyOffset - hi * 4294967296) >>> 0);
  dv.setInt32(absIndex + 12, timeDiff);
  dv.setInt32(absIndex + 16, slotValue);
  dv.setInt32(absSlot, h.indexCount);
  if (h.indexCount <= 1) { h.beginPhyOffset = phyOffset; h.beginTimestamp = storeTimestamp; }
  if (slotValue === 0) h.hashSlotCount++;
  h.indexCount++;
  h.endPhyOffset = phyOffset;
  h.endTimestamp = storeTimestamp;
  dirty[0] = 1;
  dirty[Math.floor(absSlot / DIRTY_PAGE)] = 1;
  return true;
}

/**
 * Index keys of one message: "topic#UNIQ_KEY" and "topic#k" for each space-separated KEYS entry.
 * @param {string} topic @param {string} props `k\u0001v\u0002` pairs @param {string[]} out cleared and filled
 */
export function messageIndexKeys(topic, props, out) {
  out.length = 0;
  let i = 0;
  while (i < props.length) {
    const sep = props.indexOf('\u0001', i);
    if (sep < 0) break;
    let end = props.indexOf('\u0002', sep + 1);
    if (end < 0) end = props.length;
    const n = sep - i;
    if (n === 8 && props.startsWith('UNIQ_KEY', i)) {
      if (end > sep + 1) out.push(`${topic}#${props.substring(sep + 1, end)}`);
    } else if (n === 4 && props.startsWith('KEYS', i)) {
      let s = sep + 1;
      while (s < end) {
        let e = props.indexOf(' ', s);
        if (e < 0 || e > end) e = end;
        if (e > s) out.push(`${topic}#${props.substring(s, e)}`);
        s = e + 1;
      }
    }
    i = end + 1;
  }
  return out;
}
