// The process-wide worker pools (FLUSH, DISPATCH): one Piscina pool per worker script, shared by the
// stores a process opens and created on first use. Idle workers do not keep the process alive. The
// workers are plain JS, so they start without the TypeScript loader tests run under: execArgv is
// cleared.
import { Piscina } from 'piscina';

/** A getter for the shared pool running `worker` (a URL next to the caller) on up to maxThreads threads. */
export function sharedPool<T, R>(worker: URL, maxThreads: number): () => Piscina<T, R> {
  let pool: Piscina<T, R> | null = null;
  return () => pool ??= new Piscina<T, R>({
    filename: worker.href, minThreads: 1, maxThreads, idleTimeout: 60000, concurrentTasksPerWorker: 1, execArgv: [],
  });
}
