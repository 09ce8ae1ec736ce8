// ESM loader for the N-API addon. Exports null when the compiled .node file is missing or fails to
// load (no compiler, wrong ABI): callers then fall back to node:fs calls.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function load() {
  if (process.env.RMQ_NATIVE_DISABLE === '1') return null;
  for (const p of ['./build/Release/rmq_native.node', './build/Debug/rmq_native.node']) {
    try {
      return require(p);
    } catch {
      // try the next one
    }
  }
  return null;
}

/** @type {import('./index.js').NativeFs | null} */
export const native = load();
export const FADV = Object.freeze({ NORMAL: 0, RANDOM: 1, SEQUENTIAL: 2, WILLNEED: 3, DONTNEED: 4, NOREUSE: 5 });
export default native;
