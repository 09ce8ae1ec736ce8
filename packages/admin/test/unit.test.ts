// mq-admin's argument parsing, time values and tables, and the FlatBuffers rates frame round trip.
import t from 'tap';
import { UsageError, parseArgs, timeValue } from '../src/args.js';
import { table } from '../src/format.js';
import { decodeRatesFrame, encodeRatesFrame } from '../src/dashboard/rates-codec.js';
import { COMMANDS, topicKind } from '../src/commands.js';

t.test('mqadmin-style options', async (t) => {
  const specs = [{ short: 't', long: 'topic', help: 'topic', required: true }, { short: 'n', long: 'namesrvAddr', help: 'ns' }, { short: 'a', long: 'active', help: 'a', flag: true }];
  t.same(parseArgs(['-t', 'T', '-n', '1.2.3.4:9876'], specs).values, { topic: 'T', namesrvAddr: '1.2.3.4:9876' });
  t.same(parseArgs(['--topic=T', '-a', '--json'], specs), { values: { topic: 'T', active: 'true' }, json: true, help: false });
  t.same(parseArgs(['-tT'], specs).values, { topic: 'T' });
  t.throws(() => parseArgs([], specs), /missing -t \(--topic\)/, 'missing required');
  t.ok((() => { try { parseArgs([], specs); } catch (e) { return e instanceof UsageError; } return false; })(), 'a UsageError');
  t.throws(() => parseArgs(['-t'], specs), /needs a value/);
  t.throws(() => parseArgs(['-t', 'T', '-z', '1'], specs), /unknown option -z/);
  t.throws(() => parseArgs(['-t', 'T', 'stray'], specs), /unexpected argument/);
  t.equal(parseArgs(['-h'], specs).help, true, 'help skips the required check');
});

t.test('time values', async (t) => {
  t.equal(timeValue('1700000000000', 's'), 1700000000000);
  t.equal(timeValue('2024-01-02#03:04:05:006', 's'), new Date(2024, 0, 2, 3, 4, 5, 6).getTime());
  t.equal(timeValue('2024-01-02T03:04:05Z', 's'), Date.UTC(2024, 0, 2, 3, 4, 5));
  t.ok(Math.abs(timeValue('now', 's') - Date.now()) < 1000);
  t.throws(() => timeValue('yesterday-ish', '-s'), /not a time/);
});

t.test('tables and topic kinds', async (t) => {
  t.equal(table(['#A', '#Bee'], [['x', 1], ['longer', null]]), '#A      #Bee\nx       1\nlonger  -\n');
  t.same(['T', '%RETRY%g', '%DLQ%g', 'TBW102', 'a_REPLY_TOPIC'].map(topicKind), ['normal', 'retry', 'dlq', 'system', 'system']);
  const names = COMMANDS.map((c) => c.name);
  for (const n of ['clusterList', 'topicList', 'topicRoute', 'topicStatus', 'updateTopic', 'deleteTopic', 'updateSubGroup', 'deleteSubGroup',
    'consumerProgress', 'consumerConnection', 'producerConnection', 'queryMsgById', 'queryMsgByKey', 'queryMsgByOffset', 'queryMsgByUniqueKey',
    'resetOffsetByTime', 'sendMessage', 'consumeMessage', 'brokerStatus', 'getBrokerConfig', 'updateBrokerConfig', 'statsAll', 'clusterRT']) {
    t.ok(names.includes(n), `subcommand ${n}`);
  }
});

t.test('rates frame round trip', async (t) => {
  const f = { t: 1796280000123, brokers: [
    { cluster: 'C', brokerName: 'broker-a', brokerId: 0, addr: '10.0.0.1:10911', putTps: 1234.5, getTps: 0.25, putTotal: 2 ** 40 + 7, getTotal: 3, up: true },
    { cluster: 'C', brokerName: 'broker-a', brokerId: 1, addr: '10.0.0.2:10911', putTps: 0, getTps: 0, putTotal: 0, getTotal: 0, up: false },
  ] };
  const bytes = encodeRatesFrame(f);
  t.same(decodeRatesFrame(bytes), f);
  t.ok(bytes.length < JSON.stringify(f).length, `binary frame (${bytes.length} B) smaller than JSON (${JSON.stringify(f).length} B)`);
  t.same(decodeRatesFrame(encodeRatesFrame({ t: 1, brokers: [] })), { t: 1, brokers: [] });
});
