// Properties text (config files, UPDATE/GET_NAMESRV_CONFIG bodies) and the KV config file.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { convertValue, defaultNamesrvConfig, formatProperties, parseProperties } from '../src/config.js';
import { KvConfigManager } from '../src/kv-config-manager.js';
import { tempDir } from './helpers.js';

t.test('properties: comments, blank lines, separators, trimming, continuations, escapes', async (t) => {
  const text = [
    '# comment', '! comment too', '', '  a = 1  ', 'b:2', 'c 3', 'd=', 'e=x=y', 'long = one \\', '   two',
    'path=C:\\\\dir', 'uni=\\u0041', 'lonely',
  ].join('\r\n');
  t.same(parseProperties(text), [
    ['a', '1'], ['b', '2'], ['c', '3'], ['d', ''], ['e', 'x=y'], ['long', 'one two'], ['path', 'C:\\dir'], ['uni', 'A'], ['lonely', ''],
  ]);
});

t.test('values convert by the default type and refuse what does not fit', async (t) => {
  t.equal(convertValue('n', ' 42 ', 0), 42);
  t.equal(convertValue('b', 'TRUE', false), true);
  t.equal(convertValue('s', 'x y', ''), 'x y');
  t.throws(() => convertValue('n', '4x', 0), { message: "bad value for n: '4x' is not a number" });
  t.throws(() => convertValue('b', '1', false), { message: "bad value for b: '1' is not true or false" });
});

t.test('config round-trips through its properties text', async (t) => {
  const c = defaultNamesrvConfig({ listenPort: 1234 });
  const back = Object.fromEntries(parseProperties(formatProperties(c)));
  t.equal(back.listenPort, '1234');
  t.equal(back.brokerChannelExpiredMs, '120000');
});

t.test('KV config file: Apache layout read, bad JSON refused, missing file empty', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'kvConfig.json');
  const missing = new KvConfigManager(file);
  missing.load();
  t.equal(missing.list('ORDER_TOPIC_CONFIG'), null);

  fs.writeFileSync(file, '{\n\t"configTable":{\n\t\t"ORDER_TOPIC_CONFIG":{\n\t\t\t"T":"broker-a:4"\n\t\t}\n\t}\n}');
  const kv = new KvConfigManager(file);
  kv.load();
  t.equal(kv.get('ORDER_TOPIC_CONFIG', 'T'), 'broker-a:4');
  kv.put('ORDER_TOPIC_CONFIG', 'U', 'broker-b:2');
  kv.delete('ORDER_TOPIC_CONFIG', 'T');
  t.same(JSON.parse(fs.readFileSync(file, 'utf8')), { configTable: { ORDER_TOPIC_CONFIG: { U: 'broker-b:2' } } });
  t.notOk(fs.existsSync(`${file}.tmp`), 'written through a temporary file, renamed');

  fs.writeFileSync(file, '{"configTable":');
  t.throws(() => new KvConfigManager(file).load(), /is not valid JSON/);
});
