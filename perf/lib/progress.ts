// Live progress: on a TTY one line rewritten in place; otherwise (CI, pipes, files) one plain line
// per tick so logs stay readable. Formatting is pure; the printer only decides how to emit it.
import type { TimelinePoint } from './stats.js';

export function fmtRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

export function fmtMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms >= 10) return `${ms.toFixed(0)}ms`;
  return `${ms.toFixed(2)}ms`;
}

export function fmtBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)}GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(0)}MiB`;
  return `${(n / 1024).toFixed(0)}KiB`;
}

export function bar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}]`;
}

export interface ProgressView {
  phase: string;                 // "prefill", "run", "drain"
  fraction: number;              // 0..1 of the phase
  elapsedSec: number;
  point: TimelinePoint;
  sizeBytes: number;
  showSend: boolean;
  showRecv: boolean;
  totalErrors: number;
  backlog?: number;              // open loop: sends due but not yet issued
}

export function formatProgress(v: ProgressView): string {
  const p = v.point;
  const parts = [`${bar(v.fraction, 20)} ${String(Math.floor(v.fraction * 100)).padStart(3)}% ${v.phase} ${v.elapsedSec.toFixed(0)}s`];
  if (v.showSend) {
    parts.push(`send ${fmtRate(p.sendRate)}/s ${(p.sendRate * v.sizeBytes / 1e6).toFixed(1)}MB/s p50 ${fmtMs(p.send.p50)} p99 ${fmtMs(p.send.p99)} max ${fmtMs(p.send.max)}`);
  }
  if (v.showRecv) parts.push(`recv ${fmtRate(p.recvRate)}/s${p.e2e.count ? ` e2e p99 ${fmtMs(p.e2e.p99)}` : ''}`);
  parts.push(`err ${v.totalErrors}`);
  if (v.backlog) parts.push(`behind ${fmtRate(v.backlog)}`);
  if (p.brokerCpuCores !== null) parts.push(`broker cpu ${(p.brokerCpuCores * 100).toFixed(0)}% rss ${fmtBytes(p.brokerRssBytes ?? 0)}`);
  return parts.join(' | ');
}

export class ProgressPrinter {
  private readonly inPlace: boolean;
  private lastLen = 0;
  constructor(mode: 'auto' | 'tty' | 'plain' | 'none', private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.inPlace = mode === 'tty' || (mode === 'auto' && Boolean(stream.isTTY));
    this.enabled = mode !== 'none';
  }
  readonly enabled: boolean;

  update(line: string): void {
    if (!this.enabled) return;
    if (this.inPlace) {
      const cols = this.stream.columns || 160;
      const shown = line.length > cols - 1 ? line.slice(0, cols - 1) : line;
      this.stream.write(`\r${shown}${' '.repeat(Math.max(0, this.lastLen - shown.length))}`);
      this.lastLen = shown.length;
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  /** Ends the in-place line so the next output starts on a fresh line. */
  done(): void {
    if (this.enabled && this.inPlace && this.lastLen) this.stream.write('\n');
    this.lastLen = 0;
  }

  log(line: string): void {
    this.done();
    this.stream.write(`${line}\n`);
  }
}
