// One process per store directory. Apache holds a file lock on `<root>/lock`; we do the same with
// flock(2) through the native addon. Without the addon the `lock` file is an exclusive pid file
// ("<pid> <start time>"), taken over only when the process it names is gone (a pid reused by a
// different process is told apart by its start time in /proc).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '@rmq/native';

export class StoreLockedError extends Error {
  readonly code = 'ESTORELOCKED';
  override readonly name = 'StoreLockedError';
}

export interface StoreLock {
  readonly path: string;
  readonly mode: 'flock' | 'pidfile';
  release(): void;
}

/** The start time (clock ticks since boot) of a process from /proc, or null when unknown/absent. */
function startTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const selfId = (): string => `${process.pid} ${startTime(process.pid) ?? '?'}`;

function holderOf(file: string): string {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim().split(' ')[0]);
    return Number.isInteger(pid) && pid > 0 ? ` (pid ${pid})` : '';
  } catch {
    return '';
  }
}

function lockedError(root: string, file: string): StoreLockedError {
  return new StoreLockedError(`store directory ${root} is in use by another process${holderOf(file)}: ${file} is locked`);
}

/** Whether the holder recorded in a pid file ("pid starttime") is still running. */
function recordedHolderAlive(text: string): boolean {
  const [p, st] = text.trim().split(' ');
  const pid = Number(p);
  if (!Number.isInteger(pid) || pid <= 0) return false; // torn or empty: its writer died before writing
  if (!alive(pid)) return false;
  const now = startTime(pid);
  return now === null || st === undefined || st === '?' || now === st;
}

/**
 * Takes the store lock of `root` (created if missing) or throws StoreLockedError. `useFlock: false`
 * forces the pid-file scheme (tests; the addon-less fallback).
 */
export function acquireStoreLock(root: string, opts: { useFlock?: boolean } = {}): StoreLock {
  fs.mkdirSync(root, { recursive: true });
  const file = path.join(root, 'lock');
  const useFlock = (opts.useFlock ?? true) && native !== null && typeof native.flock === 'function';
  if (useFlock) {
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    let ok = false;
    try {
      ok = native!.flock(fd);
    } finally {
      if (!ok) fs.closeSync(fd);
    }
    if (!ok) throw lockedError(root, file);
    fs.ftruncateSync(fd, 0);
    fs.writeSync(fd, `${selfId()}\n`, 0);
    let held = true;
    return { path: file, mode: 'flock', release() { if (held) { held = false; fs.closeSync(fd); } } };
  }
  const me = `${selfId()}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o644);
      try { fs.writeSync(fd, me); } finally { fs.closeSync(fd); }
      // Another process taking over a stale file at the same moment may have replaced ours.
      if (fs.readFileSync(file, 'utf8') !== me) throw lockedError(root, file);
      let held = true;
      return {
        path: file, mode: 'pidfile',
        release() {
          if (!held) return;
          held = false;
          try { if (fs.readFileSync(file, 'utf8') === me) fs.unlinkSync(file); } catch { /* gone already */ }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let text = '';
    try { text = fs.readFileSync(file, 'utf8'); } catch { continue; } // removed meanwhile: retry
    if (recordedHolderAlive(text) || (text === '' && Date.now() - safeMtime(file) < 2000)) throw lockedError(root, file);
    fs.rmSync(file, { force: true }); // stale: its process is gone
  }
  throw lockedError(root, file);
}

function safeMtime(file: string): number {
  try { return fs.statSync(file).mtimeMs; } catch { return 0; }
}
