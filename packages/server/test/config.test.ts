// mq-server configuration: argv, properties files, key mapping onto components, refusals.
import { homedir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { defaultNamesrvConfig, namesrvConfigHelp } from '@rmq/namesrv';
import { buildKeyTable, ConfigError, formatHelp, parseArgs, resolveConfig, type ConfigSources } from '../src/config.js';

// Stand-ins with the shape of @rmq/broker and @rmq/store defaults (the real ones may not be built).
const sources: ConfigSources = {
  namesrv: { defaults: defaultNamesrvConfig(), help: namesrvConfigHelp },
  broker: {
    defaults: { brokerName: 'broker-a', listenPort: 10911, autoCreateTopicEnable: true, maxMessageSize: 4194304, namesrvAddr: '', storeHost: { ip: '', port: 0 } },
    help: { brokerName: 'name of this broker', listenPort: 'broker port', autoCreateTopicEnable: 'create topics on first send' },
  },
  store: {
    defaults: { storePathRootDir: '/default/store', maxMessageSize: 4194304, flushDiskType: 'ASYNC_FLUSH' },
    help: { storePathCommitLog: 'commit log directory (default <root>/commitlog)' },
  },
};

const files: Record<string, string> = {
  'broker.conf': [
    '# a RocketMQ broker.conf',
    '',
    '  brokerName = broker-b  ',
    'listenPort=20911',
    '! also a comment',
    'autoCreateTopicEnable=FALSE',
    'namesrvListenPort: 19876',
    'maxMessageSize=1024',
    'noSuchKey=1',
    'storePathCommitLog=/data/commitlog',
  ].join('\n'),
  'bad.conf': 'listenPort=ten thousand\n',
};
const readFile = (p: string) => {
  if (!(p in files)) throw new Error(`ENOENT: no such file ${p}`);
  return files[p]!;
};

t.test('argv: mode, -c FILE, --key=value overrides, --help', async (t) => {
  t.same(parseArgs([]), { mode: 'standalone', configFile: null, overrides: [], help: false });
  t.same(parseArgs(['namesrv', '-c', 'x.conf', '--namesrvListenPort=1', '--flag']),
    { mode: 'namesrv', configFile: 'x.conf', overrides: [['namesrvListenPort', '1'], ['flag', 'true']], help: false });
  t.equal(parseArgs(['--help']).help, true);
  t.equal(parseArgs(['broker', '-h']).mode, 'broker');
  t.throws(() => parseArgs(['server']), ConfigError);
  t.throws(() => parseArgs(['-c']), /needs a file/);
});

t.test('file keys then command-line keys land on whichever component has them', async (t) => {
  const cfg = resolveConfig(parseArgs(['-c', 'broker.conf', '--listenPort=30911', '--kvConfigPath=/tmp/kv.json']), sources, readFile);
  t.equal(cfg.broker!.brokerName, 'broker-b', 'whitespace trimmed');
  t.equal(cfg.broker!.listenPort, 30911, 'the command line wins over the file');
  t.equal(cfg.broker!.autoCreateTopicEnable, false, 'booleans are case-insensitive');
  t.equal(cfg.namesrv.listenPort, 19876, 'namesrvListenPort sets the name server port; key: value form');
  t.equal(cfg.namesrv.kvConfigPath, '/tmp/kv.json');
  t.equal(cfg.broker!.maxMessageSize, 1024, 'a key both components have sets both');
  t.equal(cfg.store!.maxMessageSize, 1024);
  t.equal(cfg.store!.storePathCommitLog, '/data/commitlog', 'a key listed only in the help table is a string key');
  t.equal(cfg.store!.storePathRootDir, join(homedir(), 'store'), 'the store lives under ~/store by default');
  t.same(cfg.warnings, ["unknown key 'noSuchKey' (broker.conf) ignored"]);
  t.ok(cfg.explicit.has('listenPort'));
  t.notOk(cfg.explicit.has('namesrvAddr'));
});

t.test('bad values are refused with the key and the value', async (t) => {
  t.throws(() => resolveConfig(parseArgs(['-c', 'bad.conf']), sources, readFile),
    { message: "bad value for listenPort: 'ten thousand' is not a number (bad.conf)" });
  t.throws(() => resolveConfig(parseArgs(['--autoCreateTopicEnable=yes']), sources, readFile),
    { message: "bad value for autoCreateTopicEnable: 'yes' is not true or false (command line)" });
  t.throws(() => resolveConfig(parseArgs(['--namesrvListenPort=']), sources, readFile), ConfigError);
  t.throws(() => resolveConfig(parseArgs(['-c', 'missing.conf']), sources, readFile), /cannot read config file missing.conf/);
});

t.test('object-valued defaults are not settable; the name server port is namesrvListenPort', async (t) => {
  const table = buildKeyTable(sources);
  t.notOk(table.has('storeHost'));
  t.same(table.get('listenPort')!.map((x) => x.component), ['broker']);
  t.same(table.get('namesrvListenPort')!.map((x) => [x.component, x.field]), [['namesrv', 'listenPort']]);
  t.same(table.get('maxMessageSize')!.map((x) => x.component), ['broker', 'store']);
});

t.test('--help lists every key with its default and help line', async (t) => {
  const help = formatHelp(sources);
  for (const key of buildKeyTable(sources).keys()) t.match(help, new RegExp(`^  ${key}=`, 'm'), key);
  t.match(help, /^ {2}namesrvListenPort=9876$/m);
  t.match(help, /^ {6}create topics on first send$/m);
  t.match(help, /maxMessageSize=4194304 {3}\[also sets store\]/);
  const partial = formatHelp({ namesrv: sources.namesrv }, { broker: '@rmq/broker is not built' });
  t.match(partial, /unavailable: @rmq\/broker is not built/);
});
