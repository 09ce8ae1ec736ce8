// `run.js table <results dir>...`: one markdown row per summary.json, for comparing runs (e.g. before
// and after a broker.conf change).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Summary } from './summary.js';

function summaries(paths: string[]): Array<{ dir: string; s: Summary }> {
  const out: Array<{ dir: string; s: Summary }> = [];
  for (const p of paths) {
    if (existsSync(join(p, 'summary.json'))) out.push({ dir: p, s: JSON.parse(readFileSync(join(p, 'summary.json'), 'utf8')) as Summary });
    else if (existsSync(p) && statSync(p).isDirectory()) {
      out.push(...summaries(readdirSync(p).sort().map((d) => join(p, d)).filter((d) => statSync(d).isDirectory())));
    }
  }
  return out;
}

export function summaryTable(paths: string[]): string {
  const rows = [
    '| run | scenario | msgs/s | MB/s | latency p50 / p99 ms | broker CPU µs/msg (cores) | broker RSS MiB | driver cores | host busy (others) | verify |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const { dir, s } of summaries(paths)) {
    const main = s.scenario === 'consume' ? s.consume : s.produce;
    const lat = s.scenario === 'consume' ? null : s.produce?.latencyMs;
    const rate = s.scenario === 'both' ? `${s.produce?.msgsPerSec} in / ${s.consume?.msgsPerSec} out` : String(main?.msgsPerSec ?? '');
    const mb = s.scenario === 'both' ? `${s.produce?.mbPerSec} / ${s.consume?.mbPerSec}` : String(main?.mbPerSec ?? '');
    const latText = lat ? `${lat.p50} / ${lat.p99}${s.produce?.openLoop ? ` (open loop ${s.produce.targetRate}/s)` : ''}` : '';
    const e2e = s.scenario === 'both' && s.consume?.e2eLatencyMs ? `; e2e ${s.consume.e2eLatencyMs.p50} / ${s.consume.e2eLatencyMs.p99}` : '';
    const others = s.host.busyCores != null ? Math.max(0, s.host.busyCores - s.driver.cpuCoresAvg - (s.broker?.cpuCoresAvg ?? 0)) : null;
    rows.push(`| ${dir.replace(/^.*\//, '')} (${s.name}) | ${s.scenario}${s.config.flushDiskType ? ` ${s.config.flushDiskType}` : ''} | ${rate} | ${mb} | ${latText}${e2e} | ` +
      `${s.broker ? `${s.broker.cpuUsPerMsg} (${s.broker.cpuCoresAvg})` : ''} | ${s.broker ? `${s.broker.rssMiB} (peak ${s.broker.peakRssMiB})` : ''} | ` +
      `${s.driver.cpuCoresAvg} | ${s.host.busyCores ?? ''}${others !== null ? ` (${Math.round(others * 100) / 100})` : ''} | ${s.verify ? (s.verify.passed ? 'passed' : 'FAILED') : 'n/a'} |`);
  }
  return rows.join('\n');
}
