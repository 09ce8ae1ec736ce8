// Broker process accounting from /proc (Linux): CPU time (utime + stime of all threads, so worker
// pools count) from /proc/<pid>/stat and memory from /proc/<pid>/status. Parsing is pure and tested;
// sampling returns null when the process is gone or /proc is unavailable.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export interface ProcSample {
  atMs: number;          // performance.now() when sampled
  cpuMs: number;         // utime + stime, all threads
  rssBytes: number;      // VmRSS
  hwmBytes: number;      // VmHWM (peak RSS)
  threads: number;
}

let clockTicks = 0;
/** Clock ticks per second (sysconf(_SC_CLK_TCK)); 100 on practically every Linux. */
export function clockTicksPerSec(): number {
  if (clockTicks) return clockTicks;
  try { clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { clockTicks = 100; }
  return clockTicks;
}

/** utime + stime in clock ticks from the text of /proc/<pid>/stat (comm may contain spaces and ')'). */
export function parseStatCpuTicks(stat: string): number {
  const close = stat.lastIndexOf(')');
  if (close < 0) throw new Error('bad /proc stat line');
  const fields = stat.slice(close + 2).split(' ');
  // fields[0] is state (field 3); utime is field 14, stime field 15 (1-based) -> indexes 11, 12.
  return Number(fields[11]) + Number(fields[12]);
}

/** VmRSS, VmHWM (bytes) and Threads from the text of /proc/<pid>/status. */
export function parseStatus(status: string): { rssBytes: number; hwmBytes: number; threads: number } {
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  };
  const t = /^Threads:\s+(\d+)/m.exec(status);
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM'), threads: t ? Number(t[1]) : 0 };
}

export function sampleProc(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const cpuMs = (parseStatCpuTicks(stat) * 1000) / clockTicksPerSec();
    return { atMs: performance.now(), cpuMs, ...parseStatus(status) };
  } catch {
    return null;
  }
}

/** Tracks one process over a run: CPU delta, peak and last RSS. */
export class ProcTracker {
  first: ProcSample | null = null;
  last: ProcSample | null = null;
  private prev: ProcSample | null = null;
  peakRssBytes = 0;

  constructor(readonly pid: number) {}

  /** Samples now; returns CPU utilisation (1.0 = one core) since the previous sample. */
  tick(): { cpuCores: number; rssBytes: number } | null {
    const s = sampleProc(this.pid);
    if (!s) return null;
    if (!this.first) this.first = s;
    const prev = this.prev;
    this.prev = s;
    this.last = s;
    if (s.rssBytes > this.peakRssBytes) this.peakRssBytes = s.rssBytes;
    const cpuCores = prev && s.atMs > prev.atMs ? (s.cpuMs - prev.cpuMs) / (s.atMs - prev.atMs) : 0;
    return { cpuCores, rssBytes: s.rssBytes };
  }

  /** Restarts the CPU baseline (after warm-up / prefill) so the delta covers the measured part only. */
  rebase(): void { const s = sampleProc(this.pid); if (s) { this.first = s; this.prev = s; this.last = s; } }

  cpuMsDelta(): number { return this.first && this.last ? this.last.cpuMs - this.first.cpuMs : 0; }
  wallMsDelta(): number { return this.first && this.last ? this.last.atMs - this.first.atMs : 0; }
}

/** Busy and total jiffies of the whole machine from the text of /proc/stat (first "cpu" line). */
export function parseHostCpu(stat: string): { busy: number; total: number } {
  const line = stat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('no cpu line in /proc/stat');
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal (guest is inside user)
  const idle = (f[3] ?? 0) + (f[4] ?? 0);                 // idle + iowait
  return { busy: total - idle, total };
}

/** Machine-wide CPU over an interval, in cores (so others' load on a shared host is visible). */
export class HostCpu {
  private first: { busy: number; total: number; atMs: number } | null = null;
  private read(): { busy: number; total: number; atMs: number } | null {
    try { return { ...parseHostCpu(readFileSync('/proc/stat', 'utf8')), atMs: performance.now() }; } catch { return null; }
  }
  start(): void { this.first = this.read(); }
  /** Busy cores on average since start() (busy jiffies / elapsed wall time). */
  busyCores(): number | null {
    const last = this.read();
    if (!this.first || !last || last.atMs <= this.first.atMs) return null;
    return ((last.busy - this.first.busy) * 1000) / clockTicksPerSec() / (last.atMs - this.first.atMs);
  }
}
