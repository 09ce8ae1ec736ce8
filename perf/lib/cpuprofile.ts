// Summarises a V8 .cpuprofile (node --cpu-prof): self and inclusive share of samples per function,
// so a hot spot can be named precisely (function, file:line, % of samples).
import { readFileSync } from 'node:fs';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }
export interface CpuProfile { nodes: ProfileNode[]; samples?: number[]; startTime: number; endTime: number }

export interface FunctionCost {
  name: string; location: string; selfPct: number; totalPct: number; selfSamples: number;
  busySelfPct: number; busyTotalPct: number;            // share of non-idle samples
  callers: Array<{ name: string; location: string; pct: number }>; // who the self time came through (busy %)
}

function label(cf: CallFrame, root: string): { name: string; location: string } {
  const name = cf.functionName || '(anonymous)';
  let url = cf.url.replace(/^file:\/\//, '');
  if (root && url.startsWith(root)) url = url.slice(root.length).replace(/^\//, '');
  return { name, location: url ? `${url}:${cf.lineNumber + 1}` : '' };
}

const IDLE = new Set(['(idle)', '(program)']);

/** A caller chain label: skip frames of node's internals so the caller named is the user code. */
function callerOf(byId: Map<number, ProfileNode>, parent: Map<number, number>, id: number, root: string): { name: string; location: string } | null {
  for (let cur = parent.get(id); cur !== undefined; cur = parent.get(cur)) {
    const cf = byId.get(cur)!.callFrame;
    if (cf.url.startsWith('node:') || cf.url === '') continue;
    return label(cf, root);
  }
  return null;
}

export function analyzeProfile(p: CpuProfile, root = ''): { totalSamples: number; busySamples: number; functions: FunctionCost[]; byFile: Array<{ file: string; selfPct: number }> } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfHits = new Map<number, number>();
  if (p.samples && p.samples.length) for (const s of p.samples) selfHits.set(s, (selfHits.get(s) ?? 0) + 1);
  else for (const n of p.nodes) selfHits.set(n.id, n.hitCount ?? 0);
  const total = [...selfHits.values()].reduce((a, b) => a + b, 0) || 1;
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, { name: string; location: string; hits: number }>();
  const incl = new Map<string, number>();
  const callers = new Map<string, Map<string, { name: string; location: string; hits: number }>>();
  let idle = 0;
  for (const [id, hits] of selfHits) {
    if (!hits) continue;
    const n = byId.get(id)!;
    const l = label(n.callFrame, root);
    if (IDLE.has(l.name)) idle += hits;
    const key = `${l.name}@${l.location}`;
    const e = self.get(key) ?? { ...l, hits: 0 };
    e.hits += hits;
    self.set(key, e);
    const c = callerOf(byId, parent, id, root);
    if (c) {
      let m = callers.get(key);
      if (!m) callers.set(key, (m = new Map()));
      const ck = `${c.name}@${c.location}`;
      const ce = m.get(ck) ?? { ...c, hits: 0 };
      ce.hits += hits;
      m.set(ck, ce);
    }
    // Inclusive: every distinct function on the stack gets the hits once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cl = label(byId.get(cur)!.callFrame, root);
      const k = `${cl.name}@${cl.location}`;
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + hits);
      if (!self.has(k)) self.set(k, { ...cl, hits: 0 });
    }
  }
  const pct = (h: number): number => Math.round((h / total) * 1000) / 10;
  const busy = Math.max(1, total - idle);
  const bpct = (h: number): number => Math.round((h / busy) * 1000) / 10;
  const functions = [...self.entries()].map(([k, e]) => ({
    name: e.name, location: e.location, selfSamples: e.hits, selfPct: pct(e.hits), totalPct: pct(incl.get(k) ?? 0),
    busySelfPct: IDLE.has(e.name) ? 0 : bpct(e.hits), busyTotalPct: IDLE.has(e.name) ? 0 : bpct(incl.get(k) ?? 0),
    callers: [...(callers.get(k)?.values() ?? [])].sort((a, b) => b.hits - a.hits).slice(0, 3).map((c) => ({ name: c.name, location: c.location, pct: bpct(c.hits) })),
  }));
  const files = new Map<string, number>();
  for (const e of self.values()) {
    const file = e.location.replace(/:\d+$/, '') || e.name;
    files.set(file, (files.get(file) ?? 0) + e.hits);
  }
  const byFile = [...files.entries()].map(([file, h]) => ({ file, selfPct: pct(h) })).sort((a, b) => b.selfPct - a.selfPct);
  return { totalSamples: total, busySamples: total - idle, functions, byFile };
}

export function profileReport(path: string, root = '', top = 30): string {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const a = analyzeProfile(p, root);
  const lines = [`${path}: ${a.totalSamples} samples over ${((p.endTime - p.startTime) / 1e6).toFixed(1)} s, ${a.busySamples} busy (not idle);`,
    'percentages are of busy samples', '', 'top by self time (with the user-code callers the time came through):'];
  const row = (f: FunctionCost): string => `  ${f.busySelfPct.toFixed(1).padStart(5)}% self ${f.busyTotalPct.toFixed(1).padStart(5)}% total  ${f.name}  ${f.location}`;
  for (const f of [...a.functions].filter((f) => !IDLE.has(f.name)).sort((x, y) => y.busySelfPct - x.busySelfPct).slice(0, top)) {
    lines.push(row(f));
    if (!f.location.includes('packages/')) for (const c of f.callers) lines.push(`         ${c.pct.toFixed(1).padStart(5)}% via ${c.name}  ${c.location}`);
  }
  lines.push('', 'top by inclusive time (our code: packages/):');
  for (const f of [...a.functions].filter((f) => f.location.includes('packages/')).sort((x, y) => y.busyTotalPct - x.busyTotalPct).slice(0, top)) lines.push(row(f));
  lines.push('', 'self time by file:');
  for (const f of a.byFile.filter((f) => !IDLE.has(f.file)).slice(0, 20)) lines.push(`  ${(Math.round((f.selfPct * a.totalSamples) / Math.max(1, a.busySamples) * 10) / 10).toFixed(1).padStart(5)}%  ${f.file}`);
  return lines.join('\n');
}
