#!/usr/bin/env node
// Client CPU per produced message, without the driver's own work (bodies, CRCs, histograms): one
// @rmq/client Producer of a given build sends a fixed 1 KiB body from N concurrent `await send()`
// loops to a spawned server of the same build; this process's CPU time over the measured window /
// messages acknowledged.
//
//   node perf/dist/client-bench.js [--repo DIR] [--serialize-type json|rocketmq] [--loops 512] [--duration 10s]
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SpawnedBroker, terminateSpawned } from './lib/broker.js';
import { createTopics } from './lib/admin.js';
import { parseDurationMs } from './lib/options.js';

interface BenchProducer { start(): Promise<void>; send(m: { topic: string; body: Buffer }): Promise<unknown>; shutdown(): Promise<void> }

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const flag = (name: string, dflt: string): string => {
    const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (i < 0) return dflt;
    const a = argv[i]!;
    return a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[i + 1]!;
  };
  const repo = resolve(flag('repo', resolve(dirname(fileURLToPath(import.meta.url)), '../..')));
  const serializeType = flag('serialize-type', '');
  const loops = Number(flag('loops', '512'));
  const durationMs = parseDurationMs(flag('duration', '10s'));
  const mod = (await import(pathToFileURL(join(repo, 'packages/client/dist/index.js')).href)) as { Producer: new (o: object) => BenchProducer };
  const broker = await SpawnedBroker.start({
    repoRoot: repo, flushDiskType: 'ASYNC_FLUSH', queues: 8, extraArgs: [], nodeArgs: [], logPath: join(tmpdir(), `client-bench-${process.pid}.log`), profileDir: null,
  });
  await createTopics(broker.namesrv, ['ClientBench'], 8);
  const p = new mod.Producer({ groupName: 'client_bench', namesrvAddr: broker.namesrv, compressMsgBodyOverHowmuch: 1 << 30, ...(serializeType ? { serializeType } : {}) });
  await p.start();
  const body = Buffer.alloc(1024, 0x61);
  let n = 0;
  let stop = false;
  const loop = async (): Promise<void> => { while (!stop) { await p.send({ topic: 'ClientBench', body }); n++; } };
  const running: Promise<void>[] = [];
  for (let i = 0; i < loops; i++) running.push(loop());
  await new Promise((r) => setTimeout(r, 2000));
  const cpu0 = process.cpuUsage();
  const n0 = n;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, durationMs));
  const cpu = process.cpuUsage(cpu0);
  const msgs = n - n0;
  const secs = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(running);
  console.log(`${repo} ${serializeType || 'default'} headers: client CPU ${((cpu.user + cpu.system) / msgs).toFixed(2)} µs/msg, ${Math.round(msgs / secs)} msgs/s, ${loops} loops`);
  await p.shutdown();
  await broker.stop();
}

main().then(() => process.exit(0), (e: unknown) => { console.error((e as Error).stack ?? e); terminateSpawned(); process.exit(1); });
