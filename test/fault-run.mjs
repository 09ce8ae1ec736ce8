#!/usr/bin/env node
// Longer fault runs than CI: `node test/fault-run.mjs [rounds]` runs test/fault-kill9.test.ts with
// FAULT_ROUNDS (default 20) and prints its summary line. FAULT_SEED=<n> repeats a run's kill points.
import { spawnSync } from 'node:child_process';
const root = new URL('..', import.meta.url).pathname;
const rounds = process.argv[2] ?? '20';
const r = spawnSync(process.execPath, [`${root}node_modules/tap/dist/esm/run.mjs`, '--reporter=tap', '--timeout=3600', 'test/fault-kill9.test.ts'],
  { cwd: root, stdio: 'inherit', env: { ...process.env, FAULT_ROUNDS: rounds } });
process.exit(r.status ?? 1);
