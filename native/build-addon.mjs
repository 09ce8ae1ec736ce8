// Builds the N-API addon offline: node-gyp needs --nodedir pointing at the local Node headers.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
const here = dirname(new URL(import.meta.url).pathname);
if (!existsSync(join(here, 'binding.gyp'))) { console.log('[native] no binding.gyp yet, skipping'); process.exit(0); }
const nodedir = dirname(dirname(process.execPath));
const args = ['rebuild'];
if (existsSync(join(nodedir, 'include/node/node_api.h'))) args.push(`--nodedir=${nodedir}`);
const require = createRequire(import.meta.url);
// Installed from a tarball (no devDependencies): npm's own node-gyp (npm_config_node_gyp), else skip.
let gyp = process.env.npm_config_node_gyp;
try { gyp = require.resolve('node-gyp/bin/node-gyp.js'); } catch { /* not in the workspace */ }
if (!gyp) { console.error('[native] node-gyp not found; the store will fall back to fs calls'); process.exit(0); }
const r = spawnSync(process.execPath, [gyp, ...args], { cwd: here, stdio: 'inherit' });
if (r.status !== 0) { console.error('[native] addon build failed; the store will fall back to fs calls'); process.exit(process.env.CI ? 1 : 0); }
