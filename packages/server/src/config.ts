// mq-server configuration: command line + RocketMQ-style key=value files mapped onto the
// name-server, broker and store config objects. A key goes to every component whose defaults
// have it (maxMessageSize sets both broker and store), checked by its entry in config-schema.ts
// (type, enum, range, syntax) or else by the default's type; bad values are refused (ConfigError,
// exit 2) naming the key, the value and what is allowed; unknown keys are reported and ignored.
// Keys asking for a feature this build lacks (HA, ACL) are refused the same way.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseProperties } from '@rmq/namesrv';
import {
  configSchema, describeSpec, featureNames, keyAliases, needsFeature, parseValue, specFromDefault, suggestKey,
  type Feature,
} from './config-schema.js';

export type Mode = 'standalone' | 'namesrv' | 'broker';
export const modes: readonly Mode[] = ['standalone', 'namesrv', 'broker'];
export type Component = 'namesrv' | 'broker' | 'store';
const components: readonly Component[] = ['namesrv', 'broker', 'store'];

/** The name server and the broker both have a listen port: the name server's keys carry a prefix. */
export const namesrvKeyAliases: Readonly<Record<string, string>> = {
  listenPort: 'namesrvListenPort',
  listenHost: 'namesrvListenHost',
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** What a component offers: its defaults object and one help line per key. */
export interface ComponentSource {
  defaults: object;
  help: Record<string, string>;
}

export type ConfigSources = Partial<Record<Component, ComponentSource | null>>;

export interface KeyTarget {
  component: Component;
  field: string;
  defaultValue: unknown;
  help: string;
}

export interface CliArgs {
  mode: Mode;
  configFile: string | null;
  overrides: Array<[string, string]>;
  help: boolean;
}

export interface ResolvedConfig {
  mode: Mode;
  namesrv: Record<string, unknown>;
  broker: Record<string, unknown> | null;
  store: Record<string, unknown> | null;
  /** Keys given in the file or on the command line (after alias mapping, by mq-server key). */
  explicit: Set<string>;
  /** Where the broker listens: loopback while brokerIP1 is a loopback address, else all interfaces. */
  brokerListenHost: string;
  warnings: string[];
}

export const usage = 'Usage: mq-server [standalone|namesrv|broker] [-c FILE] [--key=value ...] [--help]';

export function parseArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = { mode: 'standalone', configFile: null, overrides: [], help: false };
  let modeSeen = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') args.help = true;
    else if (a === '-c' || a === '--config') {
      const file = argv[++i];
      if (file === undefined) throw new ConfigError(`${a} needs a file name`);
      args.configFile = file;
    } else if (a.startsWith('--config=')) args.configFile = a.slice('--config='.length);
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (key === '') throw new ConfigError(`bad option '${a}'`);
      args.overrides.push([key, eq < 0 ? 'true' : a.slice(eq + 1)]);
    } else if ((modes as readonly string[]).includes(a) && !modeSeen) {
      args.mode = a as Mode;
      modeSeen = true;
    } else {
      throw new ConfigError(`unexpected argument '${a}' (mode must be one of ${modes.join(', ')})`);
    }
  }
  return args;
}

function isSettable(v: unknown): boolean {
  return v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** mq-server key -> the component fields it sets. */
export function buildKeyTable(sources: ConfigSources): Map<string, KeyTarget[]> {
  const table = new Map<string, KeyTarget[]>();
  for (const component of components) {
    const src = sources[component];
    if (!src) continue;
    const defaults = src.defaults as Record<string, unknown>;
    const fields = new Set([...Object.keys(defaults), ...Object.keys(src.help)]);
    for (const field of fields) {
      const defaultValue = defaults[field];
      if (!isSettable(defaultValue)) continue;
      const key = component === 'namesrv' ? namesrvKeyAliases[field] ?? field : field;
      const targets = table.get(key) ?? [];
      targets.push({ component, field, defaultValue, help: src.help[field] ?? '' });
      table.set(key, targets);
    }
  }
  return table;
}

/** Defaults, then the file's keys, then the command line's; the last value of a key wins. */
export function resolveConfig(
  args: CliArgs,
  sources: ConfigSources,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
  features: Partial<Record<Feature, boolean>> = {},
): ResolvedConfig {
  const objects: Partial<Record<Component, Record<string, unknown>>> = {};
  for (const c of components) {
    const src = sources[c];
    if (src) objects[c] = { ...(src.defaults as Record<string, unknown>) };
  }
  const table = buildKeyTable(sources);
  const warnings: string[] = [];
  const explicit = new Set<string>();
  // Keys given for a feature, with their value and origin, checked once everything is read.
  const given = new Map<string, { raw: string; value: unknown; origin: string }>();
  const apply = (rawKey: string, raw: string, origin: string) => {
    const key = keyAliases[rawKey] ?? rawKey;
    const targets = table.get(key);
    const spec = configSchema[key] ?? (targets ? specFromDefault(targets[0]!.defaultValue) : undefined);
    if (!spec) {
      const near = suggestKey(key, [...table.keys(), ...Object.keys(configSchema)]);
      warnings.push(`unknown key '${rawKey}' (${origin}) ignored${near ? `: did you mean '${near}'?` : ''}`);
      return;
    }
    let value: unknown;
    try {
      value = parseValue(rawKey === key ? key : `${key} (spelled ${rawKey})`, raw, spec);
    } catch (e) {
      throw new ConfigError(`${(e as Error).message} (${origin})`);
    }
    given.set(key, { raw, value, origin });
    if (!targets) return; // a feature key no component has (yet): checked below
    for (const t of targets) objects[t.component]![t.field] = value;
    explicit.add(key);
  };

  if (args.configFile !== null) {
    let text: string;
    try {
      text = readFile(args.configFile);
    } catch (e) {
      throw new ConfigError(`cannot read config file ${args.configFile}: ${(e as Error).message}`);
    }
    for (const [k, v] of parseProperties(text)) apply(k, v, args.configFile);
  }
  for (const [k, v] of args.overrides) apply(k, v, 'command line');

  // A key that asks for a feature this build does not have: refuse, rather than start without it.
  for (const [key, g] of given) {
    const spec = configSchema[key];
    if (!spec?.feature || features[spec.feature] || !needsFeature(spec, g.value)) continue;
    const off = key === 'brokerRole' ? 'ASYNC_MASTER' : key === 'brokerId' ? '0' : key === 'aclEnable' ? 'false' : null;
    throw new ConfigError(`${key}=${g.raw} (${g.origin}) needs ${featureNames[spec.feature]}, which this server does not have yet; `
      + (off ? `allowed without it: ${key}=${off}` : 'remove the key'));
  }
  // Replication roles, once HA exists: Apache's rules (a slave has brokerId > 0, a master 0).
  const broker = objects.broker;
  if (broker && (explicit.has('brokerRole') || explicit.has('brokerId'))) {
    const role = broker.brokerRole, id = broker.brokerId as number;
    if (role === 'SLAVE' && id === 0) throw new ConfigError('brokerRole=SLAVE needs brokerId > 0 (brokerId=0 is the master)');
    if (role !== undefined && role !== 'SLAVE' && id > 0) {
      throw new ConfigError(`brokerId=${id} is a slave's id but brokerRole=${String(role)}: a master has brokerId=0, a slave brokerRole=SLAVE`);
    }
  }

  const store = objects.store ?? null;
  if (store && !explicit.has('storePathRootDir')) store.storePathRootDir = join(homedir(), 'store');
  // One rule for both listeners: loopback only until brokerIP1 publishes a reachable address; then
  // the broker listens on all interfaces, and so does the name server unless namesrvListenHost says.
  const published = typeof broker?.brokerIP1 === 'string' ? broker.brokerIP1 : '127.0.0.1';
  const brokerListenHost = isLoopback(published) ? '127.0.0.1' : '0.0.0.0';
  const namesrv = objects.namesrv ?? {};
  if (objects.namesrv && !explicit.has('namesrvListenHost')) namesrv.listenHost = brokerListenHost;
  return { mode: args.mode, namesrv, broker: objects.broker ?? null, store, explicit, warnings, brokerListenHost };
}

export function isLoopback(host: string): boolean {
  return /^127\./.test(host) || host === 'localhost' || host === '::1';
}

const componentTitles: Record<Component, string> = {
  namesrv: 'Name server (@rmq/namesrv)',
  broker: 'Broker (@rmq/broker)',
  store: 'Store (@rmq/store)',
};

/** --help text: usage, modes, then every key with its default and help line, per component. */
export function formatHelp(
  sources: ConfigSources,
  unavailable: Partial<Record<Component, string>> = {},
  features?: Partial<Record<Feature, boolean>>,
): string {
  const lines = [
    usage,
    '',
    'Modes:',
    '  standalone  name server and broker in one process (default); the broker registers with the',
    '              embedded name server unless namesrvAddr is set',
    '  namesrv     name server only',
    '  broker      broker only (namesrvAddr says where the name servers are)',
    '',
    'Options:',
    '  -c, --config FILE  RocketMQ-style properties file (key=value, # comments)',
    '  --key=value        set one key (wins over the file); keys are listed below',
    '  -h, --help         this text',
    '',
    'Listening: 127.0.0.1 only by default (name server and broker). To serve other hosts, publish a',
    'reachable address with brokerIP1=<this host\'s IP>: the broker then listens on all interfaces and',
    'so does the name server (unless namesrvListenHost is set). Clients use brokerIP1:listenPort.',
    '',
    'Every value is checked before anything starts; a bad one stops mq-server with exit code 2 and a',
    'line naming the key, the value and what is allowed. Old spellings accepted: '
      + Object.entries(keyAliases).map(([a, k]) => `${a} (= ${k})`).join(', ') + '.',
  ];
  const table = buildKeyTable(sources);
  for (const c of components) {
    lines.push('', `${componentTitles[c]} keys:`);
    if (!sources[c]) {
      lines.push(`  (unavailable: ${unavailable[c] ?? 'package not built'})`);
      continue;
    }
    for (const [key, targets] of table) {
      const t = targets.find((x) => x.component === c);
      if (!t || targets[0]!.component !== c) continue;
      const also = targets.slice(1).map((x) => x.component);
      const dflt = t.defaultValue === undefined ? '(unset)' : String(t.defaultValue);
      lines.push(`  ${key}=${dflt}${also.length ? `   [also sets ${also.join(', ')}]` : ''}`);
      if (t.help) lines.push(`      ${t.help}`);
      const spec = configSchema[key] ?? specFromDefault(t.defaultValue);
      if (spec.type !== 'string' || spec.allowed) lines.push(`      allowed: ${describeSpec(spec)}`);
    }
  }
  if (features) {
    const missing = (Object.keys(featureNames) as Feature[]).filter((f) => !features[f]);
    for (const f of missing) {
      const keys = Object.entries(configSchema).filter(([, spec]) => spec.feature === f).map(([k]) => k);
      lines.push('', `Refused until this build has ${featureNames[f]}:`,
        `  ${keys.join(', ')}${f === 'ha' ? ' (brokerRole=ASYNC_MASTER and brokerId=0 are fine)' : ' (aclEnable=false is fine)'}`);
    }
  }
  return lines.join('\n') + '\n';
}
