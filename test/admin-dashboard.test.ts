// The dashboard in a real browser: headless Debian Chromium driven by playwright-core against a
// real mq-server (broker admin HTTP with an admin token). Signs in, creates a topic, sends
// messages, finds them in the message query, resets a consumer group's offsets (the consumer gets
// them again), watches live rates change; the REST API refuses actions without the token.
// Screenshots of each view go to DASHBOARD_SCREENSHOTS_DIR (default: a tmp dir, printed), and to
// docs/screenshots/ when UPDATE_SCREENSHOTS=1.
import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Producer, PushConsumer } from '../packages/client/dist/index.js';
import { freePort, startBroker, startNamesrv, startServer, tmpDir, waitFor } from './helpers/mq-process.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const TOKEN = 'dashboard-test-token';

function post(port: number, p: string, body: unknown, token?: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const headers: Record<string, string | number> = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) };
    if (token) headers['X-Admin-Token'] = token;
    const req = http.request({ host: '127.0.0.1', port, path: p, method: 'POST', headers, agent: false }, (res) => {
      let s = '';
      res.on('data', (c) => (s += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(s) }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

const noChromium = fs.existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (CI installs Debian's chromium in .ci/run)`;

t.test('dashboard in headless Chromium', { timeout: 180_000, skip: noChromium }, async (t) => {
  const { chromium } = await import('playwright-core');
  const shots = process.env['DASHBOARD_SCREENSHOTS_DIR'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-shots-'));
  fs.mkdirSync(shots, { recursive: true });
  const dir = tmpDir('dashboard');
  const port = await freePort();
  const s = await startServer({ storeDir: dir, extra: [`--adminHttpPort=${port}`, `--adminHttpToken=${TOKEN}`] });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  let consumer: InstanceType<typeof PushConsumer> | null = null;
  let producer: InstanceType<typeof Producer> | null = null;
  t.teardown(async () => {
    await consumer?.shutdown().catch(() => undefined);
    await producer?.shutdown().catch(() => undefined);
    await browser.close().catch(() => undefined);
    await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    t.comment(`screenshots in ${shots}`);
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const base = `http://127.0.0.1:${port}`;
  const open = async (view: string) => {
    await page.goto(`${base}/?at=${Date.now()}#/${view}`); // a full load each time (a same-hash goto would not re-render)
    await page.waitForFunction((v) => (globalThis as any).document.body.dataset['ready'] === v, view, { timeout: 20_000 });
  };
  const shot = async (name: string) => {
    const file = path.join(shots, `${name}.png`);
    await page.screenshot({ path: file });
    if (process.env['UPDATE_SCREENSHOTS'] === '1') fs.copyFileSync(file, path.join(ROOT, 'docs/screenshots', `${name}.png`));
  };

  // Read-only until signed in; the API refuses actions without the token.
  await open('cluster');
  await page.waitForSelector('text=broker-a');
  t.equal(await page.textContent('#session'), 'Read-only');
  const refused = await post(port, '/console/api/topic', { topic: 'Sneaky' });
  t.equal(refused.status, 403);
  t.match(refused.body.error, /admin credentials required/);
  t.equal((await post(port, '/console/api/topic', { topic: 'Sneaky' }, 'wrong')).status, 403);

  await page.click('#signin');
  await page.fill('#token', TOKEN);
  await page.click('#go');
  await page.waitForSelector('#session.admin');
  await open('cluster');
  await page.waitForSelector('text=V4_9_8');

  // Create a topic from the Topics view.
  await open('topics');
  await page.click('#new');
  await page.fill('[name=topic]', 'WebTopic');
  await page.fill('[name=readQueueNums]', '2');
  await page.fill('[name=writeQueueNums]', '2');
  await page.click('#save');
  await waitFor(async () => {
    await open('topics');
    return (await page.locator('a[data-topic="WebTopic"]').count()) === 1;
  }, 20_000, 'WebTopic in the table');

  // Send 5 test messages with a key.
  await page.click('button[data-send="WebTopic"]');
  await page.fill('[name=keys]', 'web-key');
  await page.fill('[name=count]', '5');
  await page.fill('[name=body]', '{"order": 1001, "status": "PAID"}');
  await page.click('#send');
  await page.waitForSelector('text=SEND_OK');
  await page.click('#done');
  await waitFor(async () => {
    await open('topics');
    return (await page.locator('tr:has(a[data-topic="WebTopic"]) td:text-is("5")').count()) === 1;
  }, 20_000, 'WebTopic holds 5 messages').catch(async (e) => {
    await shot('debug-topics');
    t.comment(await (await fetch(`${base}/console/api/topic?topic=WebTopic`)).text());
    t.comment(await (await fetch(`${base}/console/api/messages?topic=WebTopic`)).text());
    throw e;
  });
  await shot('topics');

  // A consumer group consumes them.
  const seen: string[] = [];
  consumer = new PushConsumer({ groupName: 'WebGroup', namesrvAddr: s.nsAddr, instanceName: 'web-c', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
  consumer.subscribe('WebTopic', '*').onMessage((m) => { seen.push(m.body.toString()); });
  await consumer.start();
  await waitFor(() => seen.length >= 5, 20_000, 'consumed');
  await consumer.persistConsumerOffset(true);

  // Message query: topic + time range, then by key, then the detail.
  await open('messages');
  await page.selectOption('#topic', 'WebTopic');
  await page.click('#search');
  await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#tb a[data-msg]').length === 5, undefined, { timeout: 20_000 });
  t.pass('5 messages by topic and time');
  await page.click('#modes button[data-m="key"]');
  await page.fill('[name=key]', 'web-key');
  await page.click('#search');
  await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#tb a[data-msg]').length === 5, undefined, { timeout: 20_000 });
  t.pass('5 messages by key');
  await shot('messages');
  await page.click('#tb a[data-msg] >> nth=0');
  await page.waitForSelector('#modal:not([hidden]) >> text=WebGroup');
  await page.click('#bm button[data-b="json"]');
  t.match(await page.textContent('#body'), /"status": "PAID"/);
  await waitFor(async () => {
    await page.click('#modal-close');
    await page.click('#tb a[data-msg] >> nth=0');
    await page.waitForSelector('#modal:not([hidden]) >> text=WebGroup');
    return (await page.locator('#modal .ok:text-is("Consumed")').count()) === 1;
  }, 15_000, 'message marked consumed by WebGroup');
  await shot('message-detail');
  await page.click('#modal-close');

  // Consumer group: lag 0, then reset to an hour ago and the consumer gets all 5 again.
  await open('groups');
  await page.waitForSelector('a[data-group="WebGroup"]');
  t.match(await page.textContent('tr:has(a[data-group="WebGroup"])'), /1 online/);
  await page.click('a[data-group="WebGroup"]');
  await page.waitForSelector('#modal:not([hidden]) #reset');
  await shot('groups');
  const before = seen.length;
  await page.click('#reset');
  await page.waitForSelector('text=Offsets of WebGroup reset');
  await waitFor(() => seen.length >= before + 5, 20_000, 'consumed again after the reset');
  t.same(seen.slice(before).sort(), seen.slice(0, 5).sort(), 'the same 5 messages again');
  await page.click('#modal-close').catch(() => undefined);

  // DLQ: a consumer that gives up at once dead-letters a poison message; the console requeues it.
  const poisoned: string[] = [];
  const dlqConsumer = new PushConsumer({ groupName: 'WebDlqGroup', namesrvAddr: s.nsAddr, instanceName: 'web-dlq', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', maxReconsumeTimes: 0 });
  dlqConsumer.subscribe('WebTopic', '*').onMessage((m) => {
    if (m.body.toString() === 'poison') { poisoned.push(m.topic); throw new Error('cannot handle poison'); }
  });
  await dlqConsumer.start();
  t.teardown(() => dlqConsumer.shutdown().catch(() => undefined));
  const { Admin } = await import('../packages/client/dist/index.js');
  const admin = new Admin({ namesrvAddr: s.nsAddr });
  t.teardown(() => admin.close());
  await admin.sendMessage({ topic: 'WebTopic', body: 'poison' });
  await waitFor(async () => (await admin.topicRoute('%DLQ%WebDlqGroup').catch(() => null)) !== null
    && (await admin.queryMessageByTime('%DLQ%WebDlqGroup', 0, Date.now() + 1000)).length === 1, 30_000, 'poison in the DLQ');
  await open('messages');
  await page.selectOption('#topic', '%DLQ%WebDlqGroup');
  await page.click('#modes button[data-m="time"]');
  await page.click('#search');
  await page.waitForSelector('#tb a[data-msg]');
  await page.click('#tb a[data-msg] >> nth=0');
  await page.click('#requeue');
  await page.waitForSelector('text=Sent again to its topic');
  await waitFor(() => poisoned.length >= 2, 20_000, 'the requeued message reached its group again');
  t.equal(poisoned[1], 'WebTopic', 'requeued to the original topic');
  await page.click('#modal-close');

  // Connections.
  await open('connections');
  await page.waitForSelector('td:text-is("WebGroup")');
  await page.fill('[name=g]', 'DASHBOARD_PRODUCER');
  await page.click('#pf button');
  await page.waitForSelector('tbody >> text=DASHBOARD_PRODUCER');
  await shot('connections');

  // Live rates move while a producer sends.
  await open('live');
  await page.waitForFunction(() => (globalThis as any).__rmqFrames >= 2, undefined, { timeout: 20_000 });
  producer = new Producer({ groupName: 'WebLoad', namesrvAddr: s.nsAddr, instanceName: 'web-p' });
  await producer.start();
  let sending = true;
  const load = (async () => { while (sending) await Promise.all(Array.from({ length: 20 }, (_, i) => producer!.send({ topic: 'WebTopic', body: `load ${i}` }))); })();
  await page.waitForFunction(() => Number(((globalThis as any).document.querySelector('#l-put')?.textContent ?? '0').replace(/,/g, '')) > 0, undefined, { timeout: 30_000 });
  t.pass('put TPS above zero on the live view');
  // a few more frames on the chart before the screenshot
  const framesNow = await page.evaluate(() => (globalThis as any).__rmqFrames as number);
  await page.waitForFunction((n) => (globalThis as any).__rmqFrames >= n + 2, framesNow, { timeout: 20_000 });
  await shot('live');
  // The cluster view with traffic (hash navigation keeps the frames seen so far for its chart).
  await page.evaluate(() => { (globalThis as any).document.body.dataset.ready = ''; (globalThis as any).location.hash = '#/cluster'; });
  await page.waitForFunction(() => (globalThis as any).document.body.dataset.ready === 'cluster', undefined, { timeout: 20_000 });
  await page.waitForFunction(() => !/^0\.0$/.test((globalThis as any).document.querySelector('#c-put')?.textContent ?? '0.0'), undefined, { timeout: 20_000 })
    .catch(() => undefined);
  t.notOk(/^0\.0$/.test((await page.textContent('#c-put')) ?? ''), 'cluster put TPS follows the live frames');
  await shot('cluster');
  sending = false;
  await load;
  t.same(errors, [], 'no page errors');
});

t.test('the name server serves the same console for its cluster', { timeout: 120_000, skip: noChromium }, async (t) => {
  const { chromium } = await import('playwright-core');
  const httpPort = await freePort();
  const ns = await startNamesrv(t, [`--namesrvHttpPort=${httpPort}`]);
  await startBroker(t, ns.addr, 'broker-ns', ['--mappedFileSizeCommitLog=1048576', '--mappedFileSizeConsumeQueue=600000', '--pageCacheBytesMax=67108864']);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  t.teardown(() => browser.close().catch(() => undefined));
  const base = `http://127.0.0.1:${httpPort}`;
  await waitFor(async () => {
    try {
      const r = await (await fetch(`${base}/console/api/cluster`)).json() as { brokers?: Array<{ brokerName: string; up: boolean }> };
      return r.brokers?.some((b) => b.brokerName === 'broker-ns' && b.up) ?? false;
    } catch {
      return false;
    }
  }, 60_000, 'broker-ns in the name server dashboard');
  const session = await (await fetch(`${base}/console/api/session`)).json() as { servedBy: string; adminConfigured: boolean };
  t.match(session.servedBy, /^name server/);
  t.equal(session.adminConfigured, false, 'no token: read-only');
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${base}/#/live`);
  await page.waitForFunction(() => (globalThis as any).__rmqFrames >= 1, undefined, { timeout: 20_000 });
  await page.waitForSelector('#lg-put >> text=broker-ns/0');
  t.pass('live frames from the name server name broker-ns');
  await page.goto(`${base}/?x=1#/cluster`);
  await page.waitForSelector('td >> text=broker-ns');
  t.equal(await page.locator('#new').count(), 0);
});
