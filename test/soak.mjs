#!/usr/bin/env node
// Soak: `node test/soak.mjs [--seconds=600] [--rate=1000] [--out=FILE]` runs `mq-server standalone`
// (its own store under /tmp) with one Producer at a fixed rate and one PushConsumer, and every 10 s
// prints and records the server's RSS, open fds, CPU per message (server user+sys time over the
// messages produced in the interval) and the consumer lag (produced - consumed). It fails (exit 1)
// when RSS or fds keep growing after the warm-up (last third vs. middle third beyond a margin), when
// the lag grows to more than 10 s of production, or when a send fails. Uses the built dist/ files.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const arg = (k, d) => { const a = process.argv.find((x) => x.startsWith(`--${k}=`)); return a ? a.slice(k.length + 3) : d; };
const seconds = Number(arg('seconds', '600'));
const rate = Number(arg('rate', '1000'));
const outFile = arg('out', '');
const { Producer, PushConsumer } = await import(`${root}packages/client/dist/index.js`);
const { RemotingClient, RemotingCommand, silentLogger } = await import(`${root}packages/remoting/dist/index.js`);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise((res) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-soak-'));
const nsPort = await freePort(), port = await freePort();
const proc = spawn(process.execPath, [`${root}packages/server/dist/cli.js`, 'standalone', `--namesrvListenPort=${nsPort}`, '--namesrvListenHost=127.0.0.1',
  `--listenPort=${port}`, '--brokerIP1=127.0.0.1', `--storePathRootDir=${path.join(dir, 'store')}`, `--kvConfigPath=${path.join(dir, 'kv.json')}`,
  '--mappedFileSizeCommitLog=67108864', '--pageCacheBytesMax=67108864', '--fileReservedTime=1', '--deleteWhen=00'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MQ_LOG_LEVEL: 'warn' } });
let out = '';
proc.stdout.on('data', (d) => { out += d; });
proc.stderr.on('data', (d) => process.stderr.write(d));
const stopServer = () => { try { proc.kill('SIGTERM'); } catch { /* gone */ } };
process.on('exit', () => { try { proc.kill('SIGKILL'); } catch { /* gone */ } fs.rmSync(dir, { recursive: true, force: true }); });
for (let i = 0; !/^broker \S+ listening/m.test(out); i++) { if (i > 600 || proc.exitCode !== null) { console.error(out); process.exit(1); } await sleep(50); }
const nsAddr = `127.0.0.1:${nsPort}`;
const admin = new RemotingClient({ logger: silentLogger });
const ct = await admin.invoke(`127.0.0.1:${port}`, RemotingCommand.request(17, { topic: 'SoakTopic', defaultTopic: 'TBW102', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false }), 5000);
if (ct.code !== 0) { console.error(`create topic: ${ct.code} ${ct.remark}`); process.exit(1); }
await sleep(1500);
await admin.close();

const pid = proc.pid;
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const fds = () => fs.readdirSync(`/proc/${pid}/fd`).length;
const tick = 100; // USER_HZ (clock ticks per second in /proc)
const cpuMs = () => { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * (1000 / tick); };

const producer = new Producer({ groupName: 'soak_producer', namesrvAddr: nsAddr, instanceName: 'soak-p' });
await producer.start();
const consumer = new PushConsumer({ groupName: 'soak_consumer', namesrvAddr: nsAddr, instanceName: 'soak-c', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
let consumed = 0, produced = 0, sendFailures = 0;
consumer.subscribe('SoakTopic', '*').onMessage(() => { consumed++; });
await consumer.start();

const body = Buffer.alloc(512, 0x61);
const t0 = Date.now();
let running = true;
const sender = (async () => {
  let next = Date.now();
  while (running) {
    const batch = Math.max(1, Math.round(rate / 100));
    const ps = [];
    for (let i = 0; i < batch; i++) ps.push(producer.send({ topic: 'SoakTopic', body }).then(() => { produced++; }, () => { sendFailures++; }));
    await Promise.all(ps);
    next += 10;
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait); else if (wait < -1000) next = Date.now();
  }
})();

const samples = [];
let lastCpu = cpuMs(), lastProduced = 0;
console.log('t_s\trss_mib\tfds\tcpu_us_per_msg\tlag\tproduced\tconsumed');
while (Date.now() - t0 < seconds * 1000) {
  await sleep(10_000);
  const c = cpuMs(), p = produced;
  const s = { t: Math.round((Date.now() - t0) / 1000), rss: rss(), fds: fds(), cpuUsPerMsg: p > lastProduced ? ((c - lastCpu) * 1000) / (p - lastProduced) : 0, lag: p - consumed, produced: p, consumed };
  lastCpu = c; lastProduced = p;
  samples.push(s);
  console.log(`${s.t}\t${s.rss.toFixed(1)}\t${s.fds}\t${s.cpuUsPerMsg.toFixed(1)}\t${s.lag}\t${s.produced}\t${s.consumed}`);
  if (outFile) fs.writeFileSync(outFile, JSON.stringify(samples, null, 1));
}
running = false;
await sender;
await consumer.shutdown();
await producer.shutdown();
stopServer();

const problems = [];
const third = Math.floor(samples.length / 3);
if (third >= 1) {
  const avg = (xs, k) => xs.reduce((a, x) => a + x[k], 0) / xs.length;
  const mid = samples.slice(third, 2 * third), last = samples.slice(2 * third);
  const rssMid = avg(mid, 'rss'), rssLast = avg(last, 'rss');
  if (rssLast > rssMid * 1.15 + 20) problems.push(`RSS grew: ${rssMid.toFixed(0)} MiB (middle third) -> ${rssLast.toFixed(0)} MiB (last third)`);
  const fdMid = Math.max(...mid.map((x) => x.fds)), fdLast = Math.max(...last.map((x) => x.fds));
  if (fdLast > fdMid + 10) problems.push(`fds grew: ${fdMid} -> ${fdLast}`);
}
const maxLag = Math.max(0, ...samples.slice(1).map((x) => x.lag));
if (maxLag > rate * 10) problems.push(`lag reached ${maxLag} messages (> 10 s of production)`);
if (sendFailures > 0) problems.push(`${sendFailures} sends failed`);
console.log(`soak ${seconds} s at ${rate} msg/s: produced ${produced}, consumed ${consumed}, ${problems.length ? `FAIL: ${problems.join('; ')}` : 'ok (no growth)'}`);
process.exit(problems.length ? 1 : 0);
