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

// The real defaults: every refusal below is what `mq-server` does with the built packages.
const { defaultBrokerConfig, brokerConfigHelp } = await import('@rmq/broker');
const { defaultStoreConfig, storeConfigHelp } = await import('@rmq/store');
const real: ConfigSources = {
  namesrv: { defaults: defaultNamesrvConfig({ listenHost: '127.0.0.1' }), help: namesrvConfigHelp },
  broker: { defaults: defaultBrokerConfig(), help: brokerConfigHelp },
  store: { defaults: defaultStoreConfig(), help: storeConfigHelp },
};
const none = { ha: false, acl: false };
const resolve = (argv: string[], features: Partial<Record<'ha' | 'acl', boolean>> = none) =>
  resolveConfig(parseArgs(argv), real, readFile, features);

t.test('every refusal names the key, the value and what is allowed', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['--flushDiskType=SOMETIMES', /^bad value for flushDiskType: 'SOMETIMES' is not one of ASYNC_FLUSH, SYNC_FLUSH \(command line\)$/],
    ['--flushDiskType=sync_flush', /flushDiskType: 'sync_flush' is not one of ASYNC_FLUSH, SYNC_FLUSH/],
    ['--brokerRole=MASTER', /brokerRole: 'MASTER' is not one of ASYNC_MASTER, SYNC_MASTER, SLAVE/],
    ['--diskMaxUsedSpaceRatio=150', /diskMaxUsedSpaceRatio: '150' is not an integer from 10 to 95 \(percent\)/],
    ['--diskMaxUsedSpaceRatio=5', /diskMaxUsedSpaceRatio: '5' is not an integer from 10 to 95/],
    ['--deleteWhen=25', /deleteWhen: '25' is not hours of the day 00\.\.23, several separated by ";"/],
    ['--deleteWhen=04;5am', /deleteWhen: '04;5am'/],
    ['--maxMessageSize=0', /maxMessageSize: '0' is not an integer >= 1 \(bytes\)/],
    ['--fileReservedTime=-1', /fileReservedTime: '-1' is not an integer >= 0 \(hours\)/],
    ['--listenPort=abc', /listenPort: 'abc' is not a number/],
    ['--listenPort=70000', /listenPort: '70000' is not an integer from 0 to 65535/],
    ['--namesrvListenPort=-1', /namesrvListenPort: '-1' is not an integer from 0 to 65535/],
    ['--adminHttpPort=1.5', /adminHttpPort: '1.5' is not an integer from 0 to 65535 \(0 = off\)/],
    ['--messageDelayLevel=1x', /messageDelayLevel: '1x' is not space-separated durations, each a positive integer with unit s, m, h or d/],
    ['--messageDelayLevel=1s 0m', /messageDelayLevel: '1s 0m'/],
    ['--messageDelayLevel=', /messageDelayLevel: ''/],
    ['--namesrvAddr=localhost', /namesrvAddr: 'localhost' is not host:port items separated by ";"/],
    ['--namesrvAddr=a:1;b:99999', /namesrvAddr: 'a:1;b:99999'/],
    ['--brokerIP1=1.2.3.4:10911', /brokerIP1: '1\.2\.3\.4:10911' is not a host name or IP address \(no spaces, no port\)/],
    ['--brokerName=', /brokerName: '' is not a non-empty name/],
    ['--mappedFileSizeConsumeQueue=1001', /mappedFileSizeConsumeQueue: '1001' is not an integer >= 20, a multiple of 20/],
    ['--mapedFileSizeCommitLog=ten', /mappedFileSizeCommitLog \(spelled mapedFileSizeCommitLog\): 'ten' is not a number/],
    ['--autoCreateTopicEnable=yes', /autoCreateTopicEnable: 'yes' is not true or false/],
    ['--shortPollingTimeMills=-5', /shortPollingTimeMills: '-5' is not an integer >= 0/],
    ['--brokerPermission=8', /brokerPermission: '8' is not an integer from 0 to 7/],
    ['--registerBrokerIntervalMs=0', /registerBrokerIntervalMs: '0' is not an integer >= 1 \(ms\)/],
    ['--scanNotActiveBrokerIntervalMs=0', /scanNotActiveBrokerIntervalMs: '0' is not an integer >= 1/],
  ];
  for (const [arg, re] of cases) {
    const err = (() => { try { resolve([arg]); return null; } catch (e) { return e as Error; } })();
    t.ok(err instanceof ConfigError, `${arg} is refused`);
    t.match(err?.message, re, arg);
  }
});

t.test('in-range values pass, including the edges and Apache\'s deleteWhen lists', async (t) => {
  const cfg = resolve(['--diskMaxUsedSpaceRatio=95', '--deleteWhen=04;05', '--fileReservedTime=0', '--listenPort=0',
    '--messageDelayLevel=1s 2m 3h 1d', '--namesrvAddr=127.0.0.1:9876;10.0.0.2:9876', '--flushDiskType=SYNC_FLUSH',
    '--maxMessageSize=1', '--brokerRole=ASYNC_MASTER', '--brokerId=0', '--aclEnable=false']);
  t.equal(cfg.store!.diskMaxUsedSpaceRatio, 95);
  t.equal(cfg.store!.deleteWhen, '04;05');
  t.equal(cfg.store!.fileReservedTime, 0);
  t.equal(cfg.broker!.listenPort, 0);
  t.equal(cfg.store!.flushDiskType, 'SYNC_FLUSH');
  t.equal(cfg.broker!.maxMessageSize, 1);
  t.equal(cfg.store!.maxMessageSize, 1);
  t.same(cfg.warnings, [], 'aclEnable=false asks for nothing: no refusal, no warning');
});

t.test('mapedFileSizeCommitLog (4.x spelling) is an alias', async (t) => {
  const cfg = resolve(['--mapedFileSizeCommitLog=8388608', '--mapedFileSizeConsumeQueue=600000']);
  t.equal(cfg.store!.mappedFileSizeCommitLog, 8388608);
  t.equal(cfg.store!.mappedFileSizeConsumeQueue, 600000);
  t.ok(cfg.explicit.has('mappedFileSizeCommitLog'));
  t.same(cfg.warnings, []);
  const apache = resolve(['--flushConsumerOffsetInterval=60000', '--registerNameServerPeriod=10000']);
  t.equal(apache.broker!.flushConsumerOffsetIntervalMs, 60000, "Apache's flushConsumerOffsetInterval");
  t.equal(apache.broker!.registerBrokerIntervalMs, 10000, "Apache's registerNameServerPeriod");
});

t.test('HA and ACL keys are refused while the feature is absent, accepted once it is there', async (t) => {
  const refusals: Array<[string, RegExp]> = [
    ['--aclEnable=true', /^aclEnable=true \(command line\) needs access control \(ACL\), which this server does not have yet; allowed without it: aclEnable=false$/],
    ['--brokerRole=SLAVE', /^brokerRole=SLAVE \(command line\) needs master\/slave replication \(HA\).*allowed without it: brokerRole=ASYNC_MASTER$/],
    ['--brokerRole=SYNC_MASTER', /brokerRole=SYNC_MASTER .*needs master\/slave replication/],
    ['--brokerId=1', /brokerId=1 .*needs master\/slave replication.*brokerId=0$/],
    ['--haMasterAddress=10.0.0.1:10912', /haMasterAddress=10\.0\.0\.1:10912 .*needs master\/slave replication.*remove the key$/],
  ];
  for (const [arg, re] of refusals) t.throws(() => resolve([arg]), re, arg);
  t.throws(() => resolve(['--aclEnable=maybe']), /aclEnable: 'maybe' is not true or false/, 'types are checked before features');
  t.throws(() => resolve(['--haMasterAddress=nohost']), /haMasterAddress: 'nohost' is not host:port/);

  // With the feature present: accepted, and Apache's role rules apply.
  const withHa = { ha: true, acl: true };
  const slave = resolve(['--brokerRole=SLAVE', '--brokerId=1'], withHa);
  t.equal(slave.broker!.brokerRole, 'SLAVE');
  t.equal(slave.broker!.brokerId, 1);
  t.doesNotThrow(() => resolve(['--aclEnable=true'], withHa));
  t.throws(() => resolve(['--brokerRole=SLAVE'], withHa), /brokerRole=SLAVE needs brokerId > 0/);
  t.throws(() => resolve(['--brokerId=2'], withHa), /brokerId=2 is a slave's id but brokerRole=ASYNC_MASTER/);
});

t.test('feature detection follows the broker package: its defaults or its exports', async (t) => {
  const { detectFeatures } = await import('../src/config-schema.js');
  t.same(detectFeatures({ brokerRole: 'ASYNC_MASTER' }, { BrokerController: 1 }), { ha: false, acl: false });
  t.same(detectFeatures({ aclEnable: false }, {}), { ha: false, acl: true });
  t.same(detectFeatures({ haListenPort: 10912 }, {}), { ha: true, acl: false });
  t.same(detectFeatures({}, { HAService: 1, PlainAccessValidator: 1 }), { ha: true, acl: true });
  t.same(detectFeatures([{ brokerName: 'a' }, { haMasterAddress: '' }], {}), { ha: true, acl: false }, 'store defaults count too');
  // What this build has (the refusal tests above assume the features are absent only through `none`).
  t.same(Object.keys(detectFeatures([defaultBrokerConfig(), defaultStoreConfig()], await import('@rmq/broker'))), ['ha', 'acl']);
});

t.test('listen hosts: loopback for both until brokerIP1 publishes another address', async (t) => {
  const dflt = resolve([]);
  t.equal(dflt.namesrv.listenHost, '127.0.0.1');
  t.equal(dflt.brokerListenHost, '127.0.0.1');
  const pub = resolve(['--brokerIP1=192.0.2.7']);
  t.equal(pub.brokerListenHost, '0.0.0.0');
  t.equal(pub.namesrv.listenHost, '0.0.0.0');
  const own = resolve(['--brokerIP1=192.0.2.7', '--namesrvListenHost=127.0.0.1']);
  t.equal(own.namesrv.listenHost, '127.0.0.1', 'namesrvListenHost wins');
});

t.test('an unknown key is reported with the closest known key', async (t) => {
  t.same(resolve(['--flushDiskTyp=SYNC_FLUSH']).warnings, ["unknown key 'flushDiskTyp' (command line) ignored: did you mean 'flushDiskType'?"]);
  t.same(resolve(['--zzzzzzzzzz=1']).warnings, ["unknown key 'zzzzzzzzzz' (command line) ignored"]);
});

t.test('--help says what each checked key allows', async (t) => {
  const help = formatHelp(real);
  t.match(help, /^ {2}flushDiskType=ASYNC_FLUSH\n.*\n {6}allowed: one of ASYNC_FLUSH, SYNC_FLUSH$/m);
  t.match(help, /allowed: an integer from 10 to 95 \(percent\)/);
  t.match(help, /mapedFileSizeCommitLog \(= mappedFileSizeCommitLog\)/);
  t.match(help, /brokerIP1=<this host's IP>/);
  t.match(formatHelp(real, {}, { ha: false, acl: false }), /Refused until this build has access control \(ACL\):\n {2}aclEnable \(aclEnable=false is fine\)/);
  t.notMatch(formatHelp(real, {}, { ha: true, acl: true }), /Refused until/);
});

t.test('every default passes its own check (a new key with a default its schema refuses fails here)', async (t) => {
  const { configSchema, parseValue, specFromDefault } = await import('../src/config-schema.js');
  for (const [key, targets] of buildKeyTable(real)) {
    for (const target of targets) {
      if (target.defaultValue === undefined || target.defaultValue === '') continue;
      const spec = configSchema[key] ?? specFromDefault(target.defaultValue);
      t.doesNotThrow(() => parseValue(key, String(target.defaultValue), spec), `${key}=${String(target.defaultValue)} (${target.component})`);
    }
  }
});
