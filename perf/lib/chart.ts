// A self-contained chart of a run (no scripts, no external assets): throughput over time on top,
// send latency percentiles (log scale) below, broker CPU as a dashed line on the throughput panel.
// chart.svg is the picture; chart.html wraps it with the summary table.
import type { TimelinePoint } from './stats.js';

const W = 900, PANEL_H = 220, PAD_L = 70, PAD_R = 60, PAD_T = 30, GAP = 50;

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

interface Series { name: string; color: string; values: Array<number | null>; dashed?: boolean }

function polyline(xs: number[], ys: Array<number | null>, color: string, dashed: boolean): string {
  const segs: string[] = [];
  let cur: string[] = [];
  ys.forEach((y, i) => {
    if (y === null || !Number.isFinite(y)) { if (cur.length) segs.push(cur.join(' ')); cur = []; return; }
    cur.push(`${xs[i]!.toFixed(1)},${y.toFixed(1)}`);
  });
  if (cur.length) segs.push(cur.join(' '));
  return segs.map((pts) => `<polyline fill="none" stroke="${color}" stroke-width="1.5"${dashed ? ' stroke-dasharray="4 3"' : ''} points="${pts}"/>`).join('');
}

function panel(top: number, title: string, xs: number[], tMax: number, series: Series[], yLabel: (v: number) => string, log: boolean, right?: { series: Series; max: number; label: (v: number) => string }): string {
  const plotW = W - PAD_L - PAD_R;
  const out: string[] = [];
  out.push(`<text x="${PAD_L}" y="${top - 8}" font-size="13" font-weight="bold">${esc(title)}</text>`);
  out.push(`<rect x="${PAD_L}" y="${top}" width="${plotW}" height="${PANEL_H}" fill="none" stroke="#999"/>`);
  const all = series.flatMap((s) => s.values).filter((v): v is number => v !== null && v > 0);
  let yOf: (v: number) => number;
  const ticks: number[] = [];
  if (log) {
    const lo = all.length ? 10 ** Math.floor(Math.log10(Math.min(...all))) : 0.01;
    const hi = all.length ? 10 ** Math.ceil(Math.log10(Math.max(...all))) : 1;
    const span = Math.max(1e-9, Math.log10(hi) - Math.log10(lo));
    yOf = (v) => top + PANEL_H - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / span) * PANEL_H;
    for (let d = lo; d <= hi * 1.0001; d *= 10) ticks.push(d);
  } else {
    const hi = niceMax(all.length ? Math.max(...all) : 1);
    yOf = (v) => top + PANEL_H - (v / hi) * PANEL_H;
    for (let i = 0; i <= 4; i++) ticks.push((hi * i) / 4);
  }
  for (const t of ticks) {
    const y = yOf(t);
    out.push(`<line x1="${PAD_L}" x2="${PAD_L + plotW}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${PAD_L - 6}" y="${(y + 4).toFixed(1)}" font-size="11" text-anchor="end">${esc(yLabel(t))}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const x = PAD_L + (plotW * i) / 5;
    out.push(`<text x="${x.toFixed(1)}" y="${top + PANEL_H + 14}" font-size="11" text-anchor="middle">${((tMax * i) / 5).toFixed(0)}s</text>`);
  }
  for (const s of series) out.push(polyline(xs, s.values.map((v) => (v === null ? null : yOf(v))), s.color, Boolean(s.dashed)));
  if (right) {
    const ry = (v: number): number => top + PANEL_H - (v / right.max) * PANEL_H;
    out.push(polyline(xs, right.series.values.map((v) => (v === null ? null : ry(v))), right.series.color, true));
    for (let i = 0; i <= 4; i++) {
      const v = (right.max * i) / 4;
      out.push(`<text x="${PAD_L + plotW + 6}" y="${(ry(v) + 4).toFixed(1)}" font-size="11" fill="${right.series.color}">${esc(right.label(v))}</text>`);
    }
  }
  const legend = right ? [...series, right.series] : series;
  legend.forEach((s, i) => {
    const x = PAD_L + 10 + i * 140;
    out.push(`<line x1="${x}" x2="${x + 18}" y1="${top + 12}" y2="${top + 12}" stroke="${s.color}" stroke-width="2"${s.dashed || s === right?.series ? ' stroke-dasharray="4 3"' : ''}/>`);
    out.push(`<text x="${x + 22}" y="${top + 16}" font-size="11">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

export function renderChartSvg(points: TimelinePoint[], title: string): string {
  const H = PAD_T + 2 * PANEL_H + GAP + 40;
  const tMax = Math.max(1, ...points.map((p) => p.tSec));
  const xs = points.map((p) => PAD_L + (p.tSec / tMax) * (W - PAD_L - PAD_R));
  const hasSend = points.some((p) => p.sendRate > 0);
  const hasRecv = points.some((p) => p.recvRate > 0);
  const rateSeries: Series[] = [];
  if (hasSend) rateSeries.push({ name: 'send msgs/s', color: '#1f77b4', values: points.map((p) => p.sendRate) });
  if (hasRecv) rateSeries.push({ name: 'consume msgs/s', color: '#2ca02c', values: points.map((p) => p.recvRate) });
  const hasCpu = points.some((p) => p.brokerCpuCores !== null);
  const cpuMax = Math.max(1, Math.ceil(Math.max(0, ...points.map((p) => p.brokerCpuCores ?? 0))));
  const right = hasCpu
    ? { series: { name: 'broker CPU (cores)', color: '#d62728', values: points.map((p) => p.brokerCpuCores) }, max: cpuMax, label: (v: number) => v.toFixed(1) }
    : undefined;
  const useE2e = !hasSend && hasRecv;
  const lat = (f: (p: TimelinePoint) => number): Array<number | null> => points.map((p) => {
    const s = useE2e ? p.e2e : p.send;
    return s.count ? f(p) : null;
  });
  const pick = (p: TimelinePoint) => (useE2e ? p.e2e : p.send);
  const latSeries: Series[] = [
    { name: 'p50', color: '#1f77b4', values: lat((p) => pick(p).p50) },
    { name: 'p99', color: '#ff7f0e', values: lat((p) => pick(p).p99) },
    { name: 'max', color: '#d62728', values: lat((p) => pick(p).max) },
  ];
  const fmtRate = (v: number): string => (v >= 1000 ? `${(v / 1000).toFixed(v >= 1e4 ? 0 : 1)}k` : v.toFixed(0));
  const fmtMs = (v: number): string => (v >= 1 ? `${v}ms` : `${(v * 1000).toFixed(0)}µs`);
  const body = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="16" font-size="14" text-anchor="middle">${esc(title)}</text>`,
    panel(PAD_T + 20, 'throughput (msgs/s)', xs, tMax, rateSeries, fmtRate, false, right),
    panel(PAD_T + 20 + PANEL_H + GAP, useE2e ? 'end-to-end latency per second (log)' : 'send latency per second (log)', xs, tMax, latSeries, fmtMs, true),
    '</svg>',
  ];
  return body.join('\n');
}

export function renderChartHtml(points: TimelinePoint[], title: string, summaryRows: Array<[string, string]>): string {
  const rows = summaryRows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:20px}table{border-collapse:collapse;margin-bottom:16px}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}th{background:#f4f4f4}</style>
</head><body>
<h2>${esc(title)}</h2>
<table>
${rows}
</table>
${renderChartSvg(points, title)}
</body></html>
`;
}
