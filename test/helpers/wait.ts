// The one wait of the tests: poll a condition every 50 ms until it holds or the deadline passes
// (wait on state, never on a fixed sleep; no upper bound is asserted on how long it took).
export const sleep = (ms: number): Promise<void> => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(50);
  }
  if (await cond()) return;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * Waits for p, but no longer than ms: a cap on a close/shutdown that may hang (not a wait on time;
 * the timer is cleared as soon as p settles, so it never keeps the process alive).
 */
export async function bounded<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}
