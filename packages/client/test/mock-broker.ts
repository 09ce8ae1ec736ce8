// A scripted name server + broker in one RemotingServer (the route points back at it), recording
// what the client sends and able to send the client broker-initiated requests.
import { RemotingCommand, RemotingServer, silentLogger, type Channel } from '@rmq/remoting';

export class MockBroker {
  readonly server = new RemotingServer({ port: 0, host: '127.0.0.1', logger: silentLogger, name: 'mock-broker' });
  readonly requests: RemotingCommand[] = [];
  readonly channels = new Map<string, Channel>(); // clientID -> channel (from HEART_BEAT)
  /** consumer group -> client ids (from heartbeats, minus unregistrations). */
  readonly groups = new Map<string, Set<string>>();
  addr = '';
  /** Messages a pull of (topic, queueId) returns, by queue offset. */
  readonly stored = new Map<string, Buffer[]>();
  /** Extra brokers (name -> address) listed in every route, with 2 queues each. */
  readonly extraBrokers = new Map<string, string>();
  /** Response code for CONSUMER_SEND_MSG_BACK (36). */
  sendBackCode = 0;

  async start(): Promise<this> {
    const s = this.server;
    const ok = (ext?: Record<string, string> | null, body?: Buffer | null) => RemotingCommand.response(0, null, ext ?? null, body ?? null);
    s.registerDefaultProcessor((req) => { this.requests.push(req); return RemotingCommand.response(3, `request type ${req.code} not supported`); });
    const rec = (code: number, f: (req: RemotingCommand, ch: Channel) => RemotingCommand | null) => s.registerProcessor(code, (req, ch) => { this.requests.push(req); return f(req, ch); });
    rec(105, (req) => {
      const topic = req.extFields?.['topic'] ?? '';
      if (topic.startsWith('Missing')) return RemotingCommand.response(17, `No topic route info in name server for the topic: ${topic}`);
      const brokers = [['mock-b', this.addr], ...this.extraBrokers];
      const bd = brokers.map(([n, a]) => `{"brokerAddrs":{0:"${a}"},"brokerName":"${n}","cluster":"MockCluster"}`).join(',');
      const qd = brokers.map(([n]) => `{"brokerName":"${n}","perm":6,"readQueueNums":2,"topicSysFlag":0,"writeQueueNums":2}`).join(',');
      return ok(null, Buffer.from(`{"brokerDatas":[${bd}],"filterServerTable":{},"queueDatas":[${qd}]}`));
    });
    rec(34, (req, ch) => {
      const hb = JSON.parse(Buffer.concat([req.body as Buffer].flat()).toString());
      this.channels.set(hb.clientID, ch);
      for (const cd of hb.consumerDataSet as Array<{ groupName: string }>) {
        const set = this.groups.get(cd.groupName) ?? new Set<string>();
        set.add(hb.clientID);
        this.groups.set(cd.groupName, set);
      }
      return ok();
    });
    rec(35, (req) => {
      const g = req.extFields?.['consumerGroup'];
      if (g) this.groups.get(g)?.delete(req.extFields?.['clientID'] ?? '');
      return ok({});
    });
    rec(38, (req) => ok({}, Buffer.from(JSON.stringify({ consumerIdList: [...(this.groups.get(req.extFields?.['consumerGroup'] ?? '') ?? [])] }))));
    const offsets = new Map<string, string>();
    const okey = (e: Record<string, string> | null) => `${e?.['consumerGroup']}@${e?.['topic']}@${e?.['queueId']}`;
    rec(14, (req) => {
      const o = offsets.get(okey(req.extFields));
      return o === undefined ? RemotingCommand.response(22, 'Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first') : ok({ offset: o });
    });
    rec(30, () => ok({ offset: '7' }));
    rec(29, () => ok({ offset: '3' }));
    rec(15, (req) => { offsets.set(okey(req.extFields), req.extFields?.['commitOffset'] ?? '0'); return ok({}); });
    rec(41, (req) => ok(null, Buffer.from(JSON.stringify({ lockOKMQSet: JSON.parse((req.body as Buffer).toString()).mqSet }))));
    rec(42, () => ok());
    rec(37, () => null);
    let offset = 0;
    const send = (req: RemotingCommand) => ok({ msgId: '7F00000100002A9F' + (offset++).toString(16).toUpperCase().padStart(16, '0'), queueId: req.extFields?.['e'] ?? '0', queueOffset: String(offset) });
    rec(310, send);
    rec(325, send);
    s.registerProcessor(11, async (req) => {
      this.requests.push(req);
      const o = Number(req.extFields?.['queueOffset'] ?? '0');
      const max = Number(req.extFields?.['maxMsgNums'] ?? '32');
      const list = this.stored.get(`${req.extFields?.['topic']}:${req.extFields?.['queueId']}`) ?? [];
      if (o < list.length) {
        const batch = list.slice(o, o + max);
        return RemotingCommand.response(0, 'FOUND', { suggestWhichBrokerId: '0', nextBeginOffset: String(o + batch.length), minOffset: '0', maxOffset: String(list.length) }, Buffer.concat(batch));
      }
      await new Promise((r) => setTimeout(r, 300)); // the mock's long poll: an empty queue answers after 300 ms
      return RemotingCommand.response(19, 'NO_MESSAGE_IN_QUEUE', { suggestWhichBrokerId: '0', nextBeginOffset: String(o), minOffset: '0', maxOffset: String(o) });
    });
    rec(36, () => (this.sendBackCode === 0 ? ok() : RemotingCommand.response(this.sendBackCode, 'send back refused by the mock')));
    this.addr = `127.0.0.1:${await s.listen()}`;
    return this;
  }

  codes(): number[] {
    return this.requests.map((r) => r.code);
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
