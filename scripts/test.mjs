#!/usr/bin/env node
// Runs every tap test file in the workspace (package unit tests, then cross-package tests in test/)
// and ends with a plain "N passed, N failed" line that CI reads. Exit code is tap's.
import { spawn } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const files = [];
const collect = (dir) => {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) collect(p);
    else if (/\.test\.(ts|mjs|js)$/.test(e.name)) files.push(p.slice(root.length));
  }
};
for (const pkg of readdirSync(join(root, 'packages'))) collect(join(root, 'packages', pkg, 'test'));
collect(join(root, 'test'));
const only = process.argv.slice(2);
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
if (selected.length === 0) { console.error('no test files found'); process.exit(1); }

const tapBin = join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs');
const args = [tapBin];
const child = spawn(process.execPath, [...args, '--reporter=tap', ...selected], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
let passed = 0, failed = 0, skipped = 0;
let buf = '';
// tap's own closing summary line (not indented) carries the assertion totals.
child.stdout.on('data', (d) => {
  process.stdout.write(d);
  buf += d.toString();
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    const m = /^\s*# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?(?:, skip: (\d+))?/.exec(line);
    if (m && !line.startsWith(' ')) { passed = Number(m[2] ?? 0); failed = Number(m[3] ?? 0); skipped = Number(m[4] ?? 0); }
  }
});
child.on('exit', (code) => {
  // Files that crashed count as failures even if the summary line was missing.
  if (code !== 0 && failed === 0) failed = 1;
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(code ?? 1);
});
