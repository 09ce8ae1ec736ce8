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
  return absHash(javaHashCode(key));
}

/** Math.abs of a Java hash, 0 for Integer.MIN_VALUE. @param {number} h */
function absHash(h) { return h === -2147483648 ? 0 : Math.abs(h); }

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
  return putIndexHash(dv, dirty, h, hashSlotNum, indexNum, indexKeyHash(key), phyOffset, storeTimestamp);
}

/**
 * putIndexKey with the key's indexKeyHash already computed.
 * @param {DataView} dv @param {Uint8Array} dirty @param {IndexHeader} h @param {number} hashSlotNum
 * @param {number} indexNum @param {number} keyHash @param {number} phyOffset @param {number} storeTimestamp
 */
export function putIndexHash(dv, dirty, h, hashSlotNum, indexNum, keyHash, phyOffset, storeTimestamp) {
  if (h.indexCount >= indexNum) return false;
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

/** Java's hash continued over bytes b[p, e), or NaN at a byte that is not ASCII. @param {Uint8Array} b @param {number} p @param {number} e @param {number} h */
function hashAscii(b, p, e, h) {
  for (let i = p; i < e; i++) {
    const c = b[i];
    if (c > 0x7f) return NaN;
    h = (Math.imul(31, h) + c) | 0;
  }
  return h;
}


/**
 * messageIndexKeys + indexKeyHash straight from a stored record's bytes (no strings): the hashes of
 * "topic#UNIQ_KEY" and of "topic#k" for each KEYS entry, in that order, into out. false when the
 * topic or a key is not ASCII (UTF-16 units then differ from bytes: use the string path).
 * @param {Uint8Array} b @param {number} topicPos @param {number} topicLen @param {number} propsPos
 * @param {number} propsLen @param {number[]} out cleared and filled
 */
export function messageIndexHashes(b, topicPos, topicLen, propsPos, propsLen, out) {
  out.length = 0;
  const base = hashAscii(b, topicPos, topicPos + topicLen, 0);
  if (base !== base) return false;
  const prefix = (Math.imul(31, base) + 0x23) | 0; // '#'
  const pe = propsPos + propsLen;
  let i = propsPos;
  while (i < pe) {
    let sep = i;
    while (sep < pe && b[sep] !== 1) sep++;
    if (sep >= pe) break;
    let end = sep + 1;
    while (end < pe && b[end] !== 2) end++;
    const n = sep - i;
    if (n === 8 && b[i] === 0x55 && b[i + 1] === 0x4e && b[i + 2] === 0x49 && b[i + 3] === 0x51 && b[i + 4] === 0x5f
      && b[i + 5] === 0x4b && b[i + 6] === 0x45 && b[i + 7] === 0x59) { // UNIQ_KEY
      if (end > sep + 1) {
        const h = hashAscii(b, sep + 1, end, prefix);
        if (h !== h) return false;
        out.push(absHash(h));
      }
    } else if (n === 4 && b[i] === 0x4b && b[i + 1] === 0x45 && b[i + 2] === 0x59 && b[i + 3] === 0x53) { // KEYS
      let s = sep + 1;
      while (s < end) {
        let e = s;
        while (e < end && b[e] !== 0x20) e++;
        if (e > s) {
          const h = hashAscii(b, s, e, prefix);
          if (h !== h) return false;
          out.push(absHash(h));
        }
        s = e + 1;
      }
    }
    i = end + 1;
  }
  return true;
}
