// Metadata files (topics.json, subscriptionGroup.json, consumerOffset.json, delayOffset.json):
// written to `<file>.tmp`, fsynced, then renamed over the file, so a crash leaves either the old
// or the new content. Apache keeps a `.bak`; we keep one too for hand recovery.

import { promises as fsp, readFileSync, existsSync, mkdirSync, writeFileSync, renameSync, openSync, fsyncSync, closeSync, copyFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createLogger, type Logger } from '@rmq/remoting';

export function readConfigFile(path: string): string | null {
  for (const p of [path, path + '.bak']) {
    if (!existsSync(p)) continue;
    const text = readFileSync(p, 'utf8');
    if (text.trim().length > 0) return text;
  }
  return null;
}

/** Synchronous atomic write (shutdown path and small files). */
export function writeConfigFileSync(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = path + '.tmp';
  writeFileSync(tmp, text);
  const fd = openSync(tmp, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
  if (existsSync(path)) {
    try { copyFileSync(path, path + '.bak'); } catch { /* best effort */ }
  }
  renameSync(tmp, path);
}

/** Asynchronous atomic write; concurrent calls for one path are serialised by the caller. */
export async function writeConfigFile(path: string, text: string): Promise<void> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const tmp = path + '.tmp';
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try { await fsp.copyFile(path, path + '.bak'); } catch { /* first write */ }
  await fsp.rename(tmp, path);
}

/**
 * Coalesces persist requests: at most one write in flight and one pending per file. A failed write
 * is logged once with the path and cause (again only after a write succeeded in between); the
 * promise still rejects for callers that wait on it.
 */
export class Persister {
  private running: Promise<void> | null = null;
  private dirty = false;
  private failing = false;
  constructor(
    private readonly path: string,
    private readonly encode: () => string,
    private readonly log: Logger = createLogger('broker'),
  ) {}

  request(): Promise<void> {
    this.dirty = true;
    if (!this.running) this.running = this.loop();
    return this.running;
  }

  private async loop(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        await writeConfigFile(this.path, this.encode());
      }
      if (this.failing) this.log.info(`persist ${this.path}: written again`);
      this.failing = false;
    } catch (e) {
      if (!this.failing) this.log.warn(`persist ${this.path} failed: ${(e as Error).message}`);
      this.failing = true;
      throw e;
    } finally {
      this.running = null;
    }
  }

  /** Writes now, synchronously (shutdown). */
  flushSync(): void {
    this.dirty = false;
    writeConfigFileSync(this.path, this.encode());
  }

  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }
}

export { DataVersion } from '@rmq/remoting';
