// Settings shared by the examples: where the name server is, and how long to wait for messages.
// NAMESRV_ADDR=host:port (default 127.0.0.1:9876, what `pnpm start` listens on).
export const namesrvAddr = process.env.NAMESRV_ADDR ?? '127.0.0.1:9876';
// Topics and groups of the self-contained examples get a per-run suffix, so each run starts fresh.
export const suffix = process.env.EXAMPLE_SUFFIX ?? String(Date.now());
export const timeoutMs = Number(process.env.EXAMPLE_TIMEOUT_MS ?? 60_000);

/** `promise` resolves once done() has been called `count` times; it rejects after timeoutMs. */
export function countdown(count, what) {
  let left = count;
  let finish;
  const promise = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${left} of ${count} missing)`)), timeoutMs);
    finish = () => { clearTimeout(timer); resolve(); };
  });
  if (count <= 0) finish();
  return { promise, done() { if (--left === 0) finish(); } };
}
