// Publishable packages: `pnpm pack` makes tarballs whose workspace:* ranges are real versions, with
// LICENSE and dist but no sources or tests, exporting only the package root. The packed @rmq/client
// (+ @rmq/remoting) installs into an empty folder with `npm install --offline` and runs the examples
// there against mq-server. The server CLI's tarballs are checked the same way (installing them needs
// the registry for piscina and uWebSockets.js: set RMQ_PACK_INSTALL_SERVER=1 to do that too).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { startServer, tmpDir } from './helpers/mq-process.js';

// Up to ten child processes in turn: more than tap's 120 s file timeout on a loaded machine.
t.setTimeout(600_000);
const exec = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function pack(dir: string, dest: string): Promise<string> {
  const before = new Set(fs.readdirSync(dest));
  await exec('pnpm', ['pack', '--pack-destination', dest], { cwd: path.join(ROOT, dir), timeout: 120_000 });
  const made = fs.readdirSync(dest).filter((f) => !before.has(f) && f.endsWith('.tgz'));
  if (made.length !== 1) throw new Error(`pnpm pack in ${dir} made ${made.join(', ') || 'nothing'}`);
  return path.join(dest, made[0]!);
}

async function listTarball(file: string): Promise<{ files: string[]; pkg: Record<string, any> }> {
  const { stdout } = await exec('tar', ['tzf', file]);
  const { stdout: json } = await exec('tar', ['xzf', file, '-O', 'package/package.json']);
  return { files: stdout.trim().split('\n'), pkg: JSON.parse(json) };
}

function checkManifest(t: Test, name: string, files: string[], pkg: Record<string, any>) {
  t.equal(pkg.license, 'Apache-2.0', `${name}: license`);
  t.ok(pkg.description, `${name}: description`);
  t.ok(pkg.repository?.url, `${name}: repository`);
  t.notOk(pkg.private, `${name}: not private`);
  t.ok(files.includes('package/LICENSE'), `${name}: LICENSE in the tarball`);
  // (the N-API addon ships its C++ source: it is compiled on install)
  const sources = name === '@rmq/native' ? /^package\/test\// : /^package\/(src|test)\//;
  t.notOk(files.some((f) => sources.test(f) || f.endsWith('.map')), `${name}: no sources, tests or maps`);
  for (const deps of [pkg.dependencies ?? {}, pkg.peerDependencies ?? {}]) {
    for (const [d, range] of Object.entries(deps)) t.notMatch(String(range), /^workspace:/, `${name}: ${d}@${range} is a real range`);
  }
  t.notOk(pkg.exports && Object.keys(pkg.exports).includes('./*'), `${name}: no "./*" export`);
}

t.test('packed @rmq/client installs offline into an empty folder and runs the examples', async (t) => {
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-pack-'));
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-app-'));
  const storeDir = tmpDir('pack');
  t.teardown(() => { for (const d of [dest, app, storeDir]) fs.rmSync(d, { recursive: true, force: true }); });

  const tarballs = [await pack('packages/remoting', dest), await pack('packages/client', dest)];
  for (const tb of tarballs) {
    const { files, pkg } = await listTarball(tb);
    checkManifest(t, pkg.name, files, pkg);
    t.ok(files.includes('package/dist/index.js') && files.includes('package/dist/index.d.ts'), `${pkg.name}: dist with types`);
  }
  t.equal((await listTarball(tarballs[1]!)).pkg.dependencies['@rmq/remoting'], '0.1.0', 'the client depends on the packed remoting version');

  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'mq-app', version: '1.0.0', private: true, type: 'module' }));
  await exec('npm', ['install', '--offline', '--no-audit', '--no-fund', ...tarballs], { cwd: app, timeout: 120_000 });
  t.ok(fs.existsSync(path.join(app, 'node_modules/@rmq/client/dist/index.js')), 'installed');
  for (const f of ['common.mjs', 'producer.mjs', 'push-consumer.mjs']) fs.copyFileSync(path.join(ROOT, 'examples', f), path.join(app, f));

  // Only the package root is exported.
  const deep = await exec(process.execPath, ['--input-type=module', '-e', "import('@rmq/client/dist/message.js').then(() => console.log('open'), (e) => console.log(e.code))"], { cwd: app });
  t.equal(deep.stdout.trim(), 'ERR_PACKAGE_PATH_NOT_EXPORTED');

  const server = await startServer({ storeDir });
  t.teardown(() => server.stop());
  const env = { ...process.env, NAMESRV_ADDR: server.nsAddr, EXAMPLE_TIMEOUT_MS: '90000', GROUP: 'pack_test_consumer' };
  const topic = `PackTopic_${Date.now()}`;
  const sent = await exec(process.execPath, ['producer.mjs', topic, '5'], { cwd: app, env, timeout: 120_000 });
  t.equal(sent.stdout.match(/^sent #\d SEND_OK/gm)?.length, 5, 'the installed client sends');
  const got = await exec(process.execPath, ['push-consumer.mjs', topic, '5'], { cwd: app, env, timeout: 120_000 });
  t.match(got.stdout, /^received 5 messages$/m, 'and receives');
});

/** Workspace packages by name -> their directory. */
function workspacePackages(): Map<string, string> {
  const out = new Map<string, string>();
  for (const dir of [...fs.readdirSync(path.join(ROOT, 'packages')).map((d) => `packages/${d}`), 'native']) {
    const file = path.join(ROOT, dir, 'package.json');
    if (fs.existsSync(file)) out.set(JSON.parse(fs.readFileSync(file, 'utf8')).name, dir);
  }
  return out;
}

/** `name` and every workspace package it depends on, transitively. */
function withWorkspaceDeps(names: string[]): string[] {
  const ws = workspacePackages();
  const seen = new Set<string>();
  const visit = (n: string) => {
    if (seen.has(n) || !ws.has(n)) return;
    seen.add(n);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, ws.get(n)!, 'package.json'), 'utf8'));
    for (const d of Object.keys(pkg.dependencies ?? {})) visit(d);
  };
  names.forEach(visit);
  return [...seen].map((n) => ws.get(n)!);
}

t.test('the server CLI, mq-admin and the packages they need pack into installable tarballs', async (t) => {
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-pack-server-'));
  t.teardown(() => fs.rmSync(dest, { recursive: true, force: true }));
  const dirs = withWorkspaceDeps(['@rmq/server', '@rmq/admin']);
  t.ok(dirs.includes('packages/server') && dirs.includes('packages/broker') && dirs.includes('native'), `packs ${dirs.join(', ')}`);
  const tarballs: string[] = [];
  for (const d of dirs) {
    const tb = await pack(d, dest);
    tarballs.push(tb);
    const { files, pkg } = await listTarball(tb);
    checkManifest(t, pkg.name, files, pkg);
    if (pkg.name === '@rmq/server' || pkg.name === '@rmq/admin') {
      const [bin, file] = Object.entries(pkg.bin as Record<string, string>)[0]!;
      t.ok(files.includes(`package/${file}`), `${pkg.name}: bin ${bin} -> ${file} is in the tarball`);
      const { stdout } = await exec('tar', ['xzf', tb, '-O', `package/${file}`]);
      t.match(stdout, /^#!\/usr\/bin\/env node\n/, `${pkg.name}: ${file} keeps its shebang`);
    }
    if (pkg.name === '@rmq/native') t.ok(files.includes('package/binding.gyp') && files.includes('package/src/addon.cc'), 'native ships its sources to build');
  }
  if (process.env['RMQ_PACK_INSTALL_SERVER'] !== '1') return;
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-app-server-'));
  t.teardown(() => fs.rmSync(app, { recursive: true, force: true }));
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'mq-app', version: '1.0.0', private: true }));
  await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], { cwd: app, timeout: 300_000 });
  const help = await exec(path.join(app, 'node_modules/.bin/mq-server'), ['--help'], { cwd: app });
  t.match(help.stdout, /^Usage: mq-server/);
  const adminHelp = await exec(path.join(app, 'node_modules/.bin/mq-admin'), ['--help'], { cwd: app }).catch((e) => e);
  t.match(String(adminHelp.stdout ?? ''), /consumerProgress/, 'mq-admin runs from the installed bin');
});
