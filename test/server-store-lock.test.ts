// One mq-server per store directory: a second one on the same storePathRootDir (other ports) exits 1
// with one clear line, touches nothing of the first one's store or metadata, and the first keeps
// serving. After the holder is SIGKILLed, a new server takes the directory over. Both with the
// native flock and with the pid-file fallback (RMQ_NATIVE_DISABLE=1).
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { Admin, sendHeaderV2, startServer, tmpDir, waitFor, type MqServer } from './helpers/mq-process.js';

function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const sub of ['config', '.']) {
    const d = path.join(dir, sub);
    for (const n of fs.readdirSync(d)) {
      const f = path.join(d, n);
      const st = fs.statSync(f);
      if (st.isFile() && n !== 'checkpoint') out.set(path.join(sub, n), `${st.mtimeMs} ${st.size} ${fs.readFileSync(f).toString('base64')}`);
    }
  }
  return out;
}

async function sendAndRoute(t: Test, admin: Admin, s: MqServer, topic: string, what: string): Promise<void> {
  const r = await admin.call(s.brokerAddr, 310, sendHeaderV2(topic, 0), Buffer.from(what));
  t.equal(r.code, 0, `${what}: send ok`);
  const route = await admin.call(s.nsAddr, 105, { topic });
  t.equal(route.code, 0, `${what}: route ok`);
}

for (const mode of ['flock', 'pidfile'] as const) {
  t.test(`${mode}: a second server on the same store directory refuses to start`, async (t) => {
    const dir = tmpDir(`lock-${mode}`);
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const storeDir = path.join(dir, 'store');
    const env: Record<string, string> = mode === 'pidfile' ? { RMQ_NATIVE_DISABLE: '1' } : {};
    const admin = new Admin();
    t.teardown(() => admin.close());

    const a = await startServer({ storeDir, env });
    t.teardown(() => a.kill());
    await admin.createTopic(a, 'LockTopic', 2);
    await sendAndRoute(t, admin, a, 'LockTopic', 'before');
    t.match(fs.readFileSync(path.join(storeDir, 'lock'), 'utf8'), new RegExp(`^${a.proc.pid} `), 'the lock file names the holder');
    // the topic config written by the create (the first server's last write before the snapshot)
    await waitFor(() => fs.existsSync(path.join(storeDir, 'config', 'topics.json'))
      && fs.readFileSync(path.join(storeDir, 'config', 'topics.json'), 'utf8').includes('LockTopic'), 5000, 'topics.json to name LockTopic');
    const before = snapshot(storeDir);

    const b = await startServer({ storeDir, env: { ...env, MQ_LOG_LEVEL: 'warn' }, waitReady: false });
    t.teardown(() => b.kill());
    const exit = await b.exited;
    t.equal(exit.code, 1, 'exit status 1');
    const lines = b.err().split('\n').filter((l) => l.startsWith('mq-server: '));
    t.equal(lines.length, 1, 'one line');
    t.match(lines[0], new RegExp(`^mq-server: broker broker-a failed to start: store directory ${storeDir} is in use by another process \\(pid ${a.proc.pid}\\)`));
    t.notMatch(b.err(), /Unhandled|TypeError|\n\s+at /, 'no stack trace');
    t.notMatch(b.out(), /^broker .* listening/m, 'the broker never said it was listening');
    t.same(snapshot(storeDir), before, 'the refused server wrote nothing into the store directory (config files untouched)');

    await sendAndRoute(t, admin, a, 'LockTopic', 'after the refused start');

    // The holder dies without releasing: the next server takes over the directory.
    await a.kill('SIGKILL');
    const c = await startServer({ storeDir, env });
    t.teardown(() => c.stop());
    await admin.waitRoute(c, 'LockTopic');
    const pulled = await admin.pull(c, 'LockTopic', 0, 0);
    t.equal(pulled.code, 0, 'the new holder serves the old messages');
    t.match(pulled.bodyBuffer()!.toString('latin1'), /before[\s\S]*after the refused start/);
    await sendAndRoute(t, admin, c, 'LockTopic', 'after takeover');
    t.equal((await c.stop()).code, 0);
    if (mode === 'pidfile') t.notOk(fs.existsSync(path.join(storeDir, 'lock')), 'a clean stop removes the pid file');
  });
}
