// The HA wire codec (Apache 4.x byte layout) and the master/slave services against a fake store, in
// process: frames split at any byte, the master's last-complete-report rule, an empty slave starting
// at the master's current file, offset mismatch closing the connection, SYNC_MASTER group transfer
// (SLAVE_NOT_AVAILABLE / ack / FLUSH_SLAVE_TIMEOUT) and suggestWhichBrokerId.
import net from 'node:net';
import t from 'tap';
import { silentLogger } from '../packages/remoting/dist/index.js';
import {
  encodeFrameHeader, encodeReport, FrameReader, ReportReader, HAService, HAClient, GroupTransfer, HAController,
  type HAStorePort,
} from '../packages/broker/src/ha/index.js';
import { defaultBrokerConfig } from '../packages/broker/src/config.js';
import { waitFor } from './helpers/mq-process.js';

t.test('frame header and report layout', async (t) => {
  const h = encodeFrameHeader(0x0102030405, 32768);
  t.equal(h.toString('hex'), '0000000102030405' + '00008000', '[phyOffset int64 BE][bodySize int32 BE]');
  t.equal(encodeReport(1073741824).toString('hex'), '0000000040000000', 'report: int64 BE');
  const rr = new ReportReader();
  const two = Buffer.concat([encodeReport(100), encodeReport(200)]);
  t.equal(rr.push(two.subarray(0, 5)), -1, 'no complete report yet');
  t.equal(rr.push(two.subarray(5, 13)), 100, 'first report completed');
  t.equal(rr.push(two.subarray(13)), 200, 'the last complete report wins');
  const fr = new FrameReader();
  const body = Buffer.from('hello replicated bytes');
  const stream = Buffer.concat([encodeFrameHeader(4096, body.length), body, encodeFrameHeader(4096 + body.length, 0)]);
  const got: [number, string][] = [];
  for (let i = 0; i < stream.length; i++) fr.push(stream.subarray(i, i + 1), (phy, b) => { got.push([phy, b.toString()]); return true; }, 1 << 20);
  t.same(got, [[4096, body.toString()], [4096 + body.length, '']], 'frames reassembled from 1-byte chunks; heartbeat has an empty body');
  t.match(new FrameReader().push(encodeFrameHeader(0, -1), () => true, 100), /bad HA frame header/, 'a negative size is refused');
});

/** A commit log in memory with the StoreReplication contract. */
class FakeStore implements HAStorePort {
  readonly mappedFileSize = 1024;
  data = Buffer.alloc(0);
  base = 0;
  readOnly: string | null = null;
  private subs: ((n: number) => void)[] = [];
  maxPhyOffset(): number { return this.base + this.data.length; }
  ackedOffset(): number { return this.maxPhyOffset(); }
  readForTransfer(from: number, max: number): Buffer | null {
    const end = Math.min(this.maxPhyOffset(), from + max, (Math.floor(from / this.mappedFileSize) + 1) * this.mappedFileSize);
    if (from < this.base || from >= end) return null;
    return this.data.subarray(from - this.base, end - this.base);
  }
  appendReplicated(phy: number, data: Uint8Array): string | null {
    if (this.data.length === 0 && this.base === 0) this.base = phy;
    else if (phy !== this.maxPhyOffset()) return `offset ${phy} is not ${this.maxPhyOffset()}`;
    this.data = Buffer.concat([this.data, data]);
    setImmediate(() => this.advanced());
    return null;
  }
  append(n: number): void { this.data = Buffer.concat([this.data, Buffer.alloc(n, this.data.length % 251)]); this.advanced(); }
  advanced(): void { for (const s of this.subs) s(this.ackedOffset()); }
  onAdvance(cb: (n: number) => void): () => void { this.subs.push(cb); return () => { this.subs = this.subs.filter((x) => x !== cb); }; }
  setReadOnly(r: string | null): void { this.readOnly = r; }
}

const haCfg = { haListenPort: 0, haSendHeartbeatInterval: 200, haHousekeepingInterval: 20000, haTransferBatchSize: 100, haSlaveFallbehindMax: 1 << 20, slaveTimeout: 300 };

t.test('master and slave services: empty slave starts at the current file, follows, SYNC group transfer', async (t) => {
  const m = new FakeStore();
  m.append(2500); // files 0, 1024, 2048
  const svc = new HAService(m, haCfg, silentLogger);
  await svc.start('127.0.0.1');
  t.teardown(() => svc.shutdown());
  const gt = svc.groupTransfer;
  const put = { status: 'PUT_OK' as const, wroteOffset: 2400, wroteBytes: 100, queueOffset: 0, msgId: '', storeTimestamp: 0, msgNum: 1 };
  t.equal((gt.wait(put) as { status: string }).status, 'SLAVE_NOT_AVAILABLE', 'no slave: SLAVE_NOT_AVAILABLE at once');

  const s = new FakeStore();
  const cli = new HAClient(s, haCfg, silentLogger);
  cli.updateMasterAddress(`127.0.0.1:${svc.port}`);
  cli.start();
  t.teardown(() => cli.shutdown());
  await waitFor(() => s.maxPhyOffset() === 2500, 10000, 'slave catch-up');
  t.equal(s.base, 2048, 'an empty slave starts at the master\'s current file');
  t.ok(Buffer.compare(s.data, m.data.subarray(2048)) === 0, 'same bytes');
  await waitFor(() => svc.push2SlaveMaxOffset === 2500, 10000, 'slave ack');
  const waiting = gt.wait({ ...put, wroteOffset: 2500, wroteBytes: 300 });
  t.type(waiting, Promise, 'in sync: the put waits for the slave');
  m.append(300);
  t.equal((await waiting).status, 'PUT_OK', 'released by the slave ack');
  const tooLate = gt.wait({ ...put, wroteOffset: 2800, wroteBytes: 50 }) as Promise<{ status: string }>;
  t.equal((await tooLate).status, 'FLUSH_SLAVE_TIMEOUT', 'nothing appended: FLUSH_SLAVE_TIMEOUT after slaveTimeout');

  // a frame at an offset that is not the end of the slave's log: the slave drops the connection
  const reports: number[] = [];
  let conns = 0;
  const rogue = net.createServer((sock) => {
    conns++;
    const rr = new ReportReader();
    sock.on('data', (d: Buffer) => {
      const o = rr.push(d);
      if (o < 0) return;
      reports.push(o);
      sock.write(Buffer.concat([encodeFrameHeader(o + 7, 3), Buffer.from('abc')]));
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => rogue.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => rogue.close(() => r())));
  const odd = new FakeStore();
  odd.base = 100; odd.data = Buffer.alloc(10);
  const cli2 = new HAClient(odd, haCfg, silentLogger);
  cli2.updateMasterAddress(`127.0.0.1:${(rogue.address() as net.AddressInfo).port}`);
  cli2.start();
  t.teardown(() => cli2.shutdown());
  await waitFor(() => conns >= 2, 15000, 'the slave to drop the connection and connect again');
  t.equal(reports[0], 110, 'the slave reports the end of its log');
  t.equal(odd.maxPhyOffset(), 110, 'nothing appended at a wrong offset');
});

t.test('suggestWhichBrokerId', async (t) => {
  const mk = (slaveReadEnable: boolean, maxPhy: number) => new HAController({
    config: defaultBrokerConfig({ slaveReadEnable, accessMessageInMemoryMaxRatio: 1e-9 }),
    store: { getMaxPhyOffset: () => maxPhy } as never, logger: silentLogger, port: 1, brokerAddr: '', storePathRootDir: '',
    topicConfigManager: null as never, consumerOffsetManager: null as never, subscriptionGroupManager: null as never,
  });
  const g = { brokerId: 0, whichBrokerWhenConsumeSlowly: 1 };
  t.equal(mk(false, 1 << 30).suggestBrokerId(0, g), 0, 'slaveReadEnable=false: the master');
  t.equal(mk(true, 1 << 30).suggestBrokerId(0, g), 1, 'far behind: whichBrokerWhenConsumeSlowly');
  t.equal(mk(true, 10).suggestBrokerId(10, g), 0, 'caught up: the group\'s brokerId');
});

t.test('GroupTransfer: one ack releases every put below it', async (t) => {
  const gt = new GroupTransfer({ isSlaveOK: () => true }, 5000);
  const p = (o: number) => gt.wait({ status: 'PUT_OK', wroteOffset: o, wroteBytes: 10, queueOffset: 0, msgId: '', storeTimestamp: 0, msgNum: 1 }) as Promise<{ status: string }>;
  const all = [p(0), p(10), p(20)];
  gt.advance(30);
  t.same((await Promise.all(all)).map((r) => r.status), ['PUT_OK', 'PUT_OK', 'PUT_OK']);
});
