// Summarises a V8 .cpuprofile (node --cpu-prof): self and inclusive share of samples per function,
// so a hot spot can be named precisely (function, file:line, % of samples).
import { readFileSync } from 'node:fs';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }
export interface CpuProfile { nodes: ProfileNode[]; samples?: number[]; startTime: number; endTime: number }

export interface FunctionCost { name: string; location: string; selfPct: number; totalPct: number; selfSamples: number }

function label(cf: CallFrame, root: string): { name: string; location: string } {
  const name = cf.functionName || '(anonymous)';
  let url = cf.url.replace(/^file:\/\//, '');
  if (root && url.startsWith(root)) url = url.slice(root.length).replace(/^\//, '');
  return { name, location: url ? `${url}:${cf.lineNumber + 1}` : '' };
}

export function analyzeProfile(p: CpuProfile, root = ''): { totalSamples: number; functions: FunctionCost[]; byFile: Array<{ file: string; selfPct: number }> } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfHits = new Map<number, number>();
  if (p.samples && p.samples.length) for (const s of p.samples) selfHits.set(s, (selfHits.get(s) ?? 0) + 1);
  else for (const n of p.nodes) selfHits.set(n.id, n.hitCount ?? 0);
  const total = [...selfHits.values()].reduce((a, b) => a + b, 0) || 1;
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, { name: string; location: string; hits: number }>();
  const incl = new Map<string, number>();
  for (const [id, hits] of selfHits) {
    if (!hits) continue;
    const n = byId.get(id)!;
    const l = label(n.callFrame, root);
    const key = `${l.name}@${l.location}`;
    const e = self.get(key) ?? { ...l, hits: 0 };
    e.hits += hits;
    self.set(key, e);
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
  const functions = [...self.entries()].map(([k, e]) => ({ name: e.name, location: e.location, selfSamples: e.hits, selfPct: pct(e.hits), totalPct: pct(incl.get(k) ?? 0) }));
  const files = new Map<string, number>();
  for (const e of self.values()) {
    const file = e.location.replace(/:\d+$/, '') || e.name;
    files.set(file, (files.get(file) ?? 0) + e.hits);
  }
  const byFile = [...files.entries()].map(([file, h]) => ({ file, selfPct: pct(h) })).sort((a, b) => b.selfPct - a.selfPct);
  return { totalSamples: total, functions, byFile };
}

export function profileReport(path: string, root = '', top = 30): string {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const a = analyzeProfile(p, root);
  const lines = [`${path}: ${a.totalSamples} samples, ${((p.endTime - p.startTime) / 1e6).toFixed(1)} s`, '', 'top by self time:'];
  const row = (f: FunctionCost): string => `  ${f.selfPct.toFixed(1).padStart(5)}% self ${f.totalPct.toFixed(1).padStart(5)}% total  ${f.name}  ${f.location}`;
  for (const f of [...a.functions].sort((x, y) => y.selfPct - x.selfPct).slice(0, top)) lines.push(row(f));
  lines.push('', 'top by inclusive time (our code: packages/):');
  for (const f of [...a.functions].filter((f) => f.location.includes('packages/')).sort((x, y) => y.totalPct - x.totalPct).slice(0, top)) lines.push(row(f));
  lines.push('', 'self time by file:');
  for (const f of a.byFile.slice(0, 20)) lines.push(`  ${f.selfPct.toFixed(1).padStart(5)}%  ${f.file}`);
  return lines.join('\n');
}
