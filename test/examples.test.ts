// Every example in examples/ runs as written (`node examples/<name>.mjs`) against a real mq-server
// and prints what its header says it does; a non-zero exit or a missing line fails the test.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { freePort, startServer, tmpDir, waitFor } from './helpers/mq-process.js';

// Up to ten child processes in turn: more than tap's 120 s file timeout on a loaded machine.
t.setTimeout(600_000);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const EXAMPLES = path.join(ROOT, 'examples');

export interface ExampleRun { code: number; out: string; err: string }

/** Runs one example with node; `cwd` decides where `@rmq/client` resolves from. */
export function runExample(file: string, args: string[], env: Record<string, string>, cwd = EXAMPLES): Promise<ExampleRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { cwd, env: { ...process.env, EXAMPLE_TIMEOUT_MS: '90000', ...env }, timeout: 120_000 },
      (error, out, err) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out, err }));
  });
}

t.test('examples run against mq-server', async (t) => {
  const dir = tmpDir('examples');
  const httpPort = await freePort();
  const server = await startServer({ storeDir: dir, extra: [`--adminHttpPort=${httpPort}`] });
  t.teardown(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const env = { NAMESRV_ADDR: server.nsAddr };
  const topic = `ExampleTopic_${Date.now()}`;
  const expect = async (file: string, args: string[], lines: RegExp[], extraEnv: Record<string, string> = {}) => {
    const r = await runExample(file, args, { ...env, ...extraEnv });
    t.equal(r.code, 0, `${file} exits 0${r.code ? `: ${r.err.slice(-2000)}` : ''}`);
    for (const re of lines) t.match(r.out, re, `${file}: ${re}`);
    return r;
  };

  const sent = await expect('producer.mjs', [topic, '10'], [/^sent #0 SEND_OK msgId=[0-9A-F]{32} queue=broker-a\/\d offset=\d+$/m, /^sent #9 SEND_OK/m]);
  t.equal(sent.out.match(/^sent #/gm)?.length, 10, 'ten sends');
  const pushed = await expect('push-consumer.mjs', [topic, '10'], [/^received 10 messages$/m], { GROUP: 'ex_push_test' });
  t.equal(pushed.out.match(/^received [0-9A-F]{32} /gm)?.length, 10, 'push consumer got all ten');
  for (let i = 0; i < 10; i++) t.match(pushed.out, `"orderId":${i},`, `message ${i} received`);
  // The README's first screen: 3 more messages nobody consumes show as the group's lag (diffTotal).
  await expect('producer.mjs', [topic, '3'], [/^sent #2 SEND_OK/m]);
  let lag: unknown;
  await waitFor(async () => {
    try {
      const groups = await (await fetch(`http://127.0.0.1:${httpPort}/api/groups`)).json() as Array<{ group: string; diffTotal?: number }>;
      lag = groups.find((g) => g.group === 'ex_push_test')?.diffTotal;
    } catch (e) {
      lag = e;
    }
    return lag === 3;
  }, 30_000, 'diffTotal 3 in /api/groups').catch((e) => t.fail(`${(e as Error).message}: last ${String(lag)}`));
  t.equal(lag, 3, 'the HTTP admin shows the lag of the push consumer group');
  const adminCli = path.join(ROOT, 'packages/admin/dist/cli.js');
  if (fs.existsSync(adminCli)) {
    const progress = await runExample(adminCli, ['consumerProgress', '-n', server.nsAddr, '-g', 'ex_push_test'], {}, ROOT);
    t.equal(progress.code, 0, `mq-admin consumerProgress exits 0 ${progress.err}`);
    t.match(progress.out, /^Diff Total: 3$/m, 'mq-admin consumerProgress shows the same lag');
  }

  const polled = await expect('lite-pull.mjs', [topic, '13'], [/^polled 13 messages$/m], { GROUP: 'ex_lite_test' });
  t.equal(polled.out.match(/^polled [0-9A-F]{32} /gm)?.length, 13, 'lite pull got all thirteen');

  await expect('ordered.mjs', ['4'], [/^all 4 orders arrived in order$/m, /^order-3 delivered \(queue \d\)$/m]);
  await expect('delayed.mjs', ['1'], [/^delayed message arrived (\d+) ms after it was sent: delayed by level 1$/m]).then((r) => {
    const ms = Number(/arrived (\d+) ms/.exec(r.out)?.[1]);
    // 1 s nominal; a timer wheel may fire up to its precision (100 ms) early. Undelayed takes a few ms.
    t.ok(ms >= 500, `level 1 was held back (${ms} ms, nominal 1000)`);
  });
  await expect('transaction.mjs', [], [/^tx-1: COMMIT_MESSAGE$/m, /^tx-2: ROLLBACK_MESSAGE$/m,
    /^the committed message was delivered, the rolled-back one was not$/m]);
  await expect('request-reply.mjs', [], [/^reply: pong to ping 0$/m, /^reply: pong to ping 2$/m]);

  // packages/client/README.md's quick start, as written (its first js block).
  const readme = fs.readFileSync(path.join(ROOT, 'packages/client/README.md'), 'utf8');
  const block = /## Quick start[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
  t.ok(block, 'the client README has a quick start block');
  const file = path.join(EXAMPLES, `.readme-quickstart-${process.pid}.mjs`);
  fs.writeFileSync(file, block!);
  t.teardown(() => fs.rmSync(file, { force: true }));
  const quick = await expect(path.basename(file), [], [/^sent SEND_OK [0-9A-F]{32}$/m]);
  t.equal(quick.out.match(/^received [0-9A-F]{32} \{"id":\d\}$/gm)?.length, 3, 'the quick start receives its three messages');
});
