// --spawn-broker: start our server (name server + broker in one process) on free 127.0.0.1 ports with
// a temporary store, wait until the broker is registered, and stop it (SIGTERM, so node --cpu-prof
// gets to write its profile) after the run. Its output goes to broker.log in the output directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { createWriteStream, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { masterBrokers } from './admin.js';
import type { FlushDiskType } from './options.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Whether something accepts connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export interface SpawnOptions {
  repoRoot: string;
  flushDiskType: FlushDiskType;
  queues: number;
  extraArgs: string[];
  nodeArgs: string[];
  logPath: string;
  profileDir: string | null;   // node --cpu-prof --cpu-prof-dir
  readyTimeoutMs?: number;
}

/** The command line for `mq-server standalone` (key=value pairs as documented in docs/design.md). */
export function serverArgs(cli: string, ports: { namesrv: number; broker: number }, storeDir: string, o: SpawnOptions): string[] {
  return [
    ...o.nodeArgs,
    ...(o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : []),
    cli, 'standalone',
    `--namesrvListenPort=${ports.namesrv}`,
    '--namesrvListenHost=127.0.0.1',
    `--kvConfigPath=${join(storeDir, 'kvConfig.json')}`,
    `--listenPort=${ports.broker}`,
    `--namesrvAddr=127.0.0.1:${ports.namesrv}`,
    '--brokerIP1=127.0.0.1',
    `--storePathRootDir=${storeDir}`,
    `--flushDiskType=${o.flushDiskType}`,
    `--defaultTopicQueueNums=${o.queues}`,
    '--autoCreateTopicEnable=true',
    ...o.extraArgs,
  ];
}

const live = new Set<SpawnedBroker>();

/** For the driver's SIGINT handler: terminate servers we started (SIGTERM lets them flush and profile). */
export function terminateSpawned(): void {
  for (const b of live) b.child.kill('SIGTERM');
}

export class SpawnedBroker {
  exited = false;
  private constructor(readonly child: ChildProcess, readonly namesrv: string, readonly storeDir: string, readonly args: string[]) {
    live.add(this);
    child.once('exit', () => { this.exited = true; live.delete(this); });
  }

  get pid(): number { return this.child.pid!; }

  static async start(o: SpawnOptions): Promise<SpawnedBroker> {
    const cli = join(o.repoRoot, 'packages/server/dist/cli.js');
    if (!existsSync(cli)) throw new Error(`${cli} not found: build the server first (pnpm build)`);
    const ports = { namesrv: await freePort(), broker: await freePort() };
    const storeDir = mkdtempSync(join(tmpdir(), 'rmq-perf-store-'));
    const args = serverArgs(cli, ports, storeDir, o);
    const log = createWriteStream(o.logPath);
    // Own process group: a Ctrl-C on the driver reaches the server once, as our SIGTERM, not twice.
    const child = spawn(process.execPath, args, { cwd: o.repoRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    process.once('exit', () => { if (!b.exited) child.kill('SIGKILL'); });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    const b = new SpawnedBroker(child, `127.0.0.1:${ports.namesrv}`, storeDir, args);
    const deadline = Date.now() + (o.readyTimeoutMs ?? 30_000);
    for (;;) {
      if (b.exited) throw new Error(`the server exited during start-up (code ${child.exitCode}); see ${o.logPath}`);
      const masters = await masterBrokers(b.namesrv).catch(() => []);
      if (masters.length > 0) break;
      if (Date.now() > deadline) { await b.stop(); throw new Error(`the broker did not register within the timeout; see ${o.logPath}`); }
      await new Promise((r) => setTimeout(r, 200));
    }
    return b;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; removes the temp store. */
  async stop(graceMs = 15_000): Promise<number | null> {
    if (!this.exited) {
      const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => { if (!this.exited) this.child.kill('SIGKILL'); }, graceMs);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.storeDir, { recursive: true, force: true });
    return this.child.exitCode;
  }
}
