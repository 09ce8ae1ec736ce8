// REGISTER_BROKER and QUERY_DATA_VERSION bodies read through typed decoders: a field of the wrong
// type is an error reply naming it (as a body that does not parse is), and registers nothing.
import t from 'tap';
import { JsonDecodeError, RemotingClient, RemotingCommand, silentLogger } from '@rmq/remoting';
import { decodeDataVersion, decodeRegisterBrokerBody } from '../src/wire.js';
import { startNamesrv } from './helpers.js';

const body = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

const register = (wrapper: Record<string, unknown>, root: Record<string, unknown> = {}): Record<string, unknown> => ({
  filterServerList: [],
  topicConfigSerializeWrapper: { dataVersion: { counter: 1, timestamp: 1700000000000 }, topicConfigTable: {}, ...wrapper },
  ...root,
});

t.test('decodeRegisterBrokerBody: typed fields, defaults, and errors that name the field', async (t) => {
  const ok = decodeRegisterBrokerBody(body(register({ topicConfigTable: { T: { perm: 6, readQueueNums: '4', writeQueueNums: 4 } } }, { filterServerList: ['1.2.3.4:1'] })));
  t.same(ok, {
    dataVersion: { counter: 1, timestamp: 1700000000000 },
    topicConfigs: [{ topicName: 'T', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }],
    filterServerList: ['1.2.3.4:1'],
  });
  t.same(decodeRegisterBrokerBody(body({ dataVersion: { counter: 2, timestamp: 5 }, topicConfigTable: { X: {} } })).topicConfigs,
    [{ topicName: 'X', readQueueNums: 16, writeQueueNums: 16, perm: 6, topicSysFlag: 0 }], 'the pre-3.0.11 form, defaults');
  t.throws(() => decodeRegisterBrokerBody(body(register({ topicConfigTable: { T: { perm: 'rw' } } }))),
    new JsonDecodeError('register broker body.topicConfigSerializeWrapper.topicConfigTable.T.perm', 'a number', 'rw'));
  t.throws(() => decodeRegisterBrokerBody(body(register({ topicConfigTable: [] }))), { message: /topicConfigSerializeWrapper\.topicConfigTable: expected an object, got an array/ });
  t.throws(() => decodeRegisterBrokerBody(body(register({ dataVersion: { counter: {} } }))), { message: /dataVersion\.counter: expected a number, got an object/ });
  t.throws(() => decodeRegisterBrokerBody(body(register({}, { filterServerList: [1] }))), { message: /register broker body\.filterServerList\[0\]: expected a string, got number 1/ });
  t.throws(() => decodeRegisterBrokerBody(body('"x"')), { message: /register broker body: expected an object/ });
  t.same(decodeDataVersion(null), { timestamp: 0, counter: 0 });
  t.throws(() => decodeDataVersion([1], 'dv'), { message: 'dv: expected an object, got an array' });
});

t.test('over TCP: a wrong-typed register or data version body is SYSTEM_ERROR and registers nothing', async (t) => {
  const ns = await startNamesrv(t);
  const c = new RemotingClient({ logger: silentLogger });
  t.teardown(() => c.close());
  const addr = `127.0.0.1:${ns.port}`;
  const ext = { brokerId: '0', clusterName: 'C', brokerAddr: '127.0.0.1:20911', haServerAddr: '127.0.0.1:20912', compressed: 'false', brokerName: 'b1' };
  const bad = await c.invoke(addr, RemotingCommand.request(103, ext, body(register({ topicConfigTable: { T: { writeQueueNums: false } } }))), 3000);
  t.equal(bad.code, 1, 'SYSTEM_ERROR');
  t.match(bad.remark, /topicConfigTable\.T\.writeQueueNums: expected a number, got boolean false/);
  const cluster = await c.invoke(addr, RemotingCommand.request(106, null), 3000);
  t.notMatch(cluster.bodyBuffer()?.toString() ?? '', /b1/, 'the broker was not registered');
  const good = await c.invoke(addr, RemotingCommand.request(103, ext, body(register({ topicConfigTable: { T: { writeQueueNums: 2, readQueueNums: 2, perm: 6 } } }))), 3000);
  t.equal(good.code, 0);
  const dv = await c.invoke(addr, RemotingCommand.request(322, { brokerAddr: '127.0.0.1:20911' }, body({ counter: 'one' })), 3000);
  t.equal(dv.code, 1);
  t.match(dv.remark, /dataVersion\.counter: expected a number, got a string "one"/);
});
