// Name-server settings: defaults, one help line per key, and the properties-text form used by
// GET_NAMESRV_CONFIG (319) / UPDATE_NAMESRV_CONFIG (318) and by mq-server's config files.
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface NamesrvConfig {
  listenPort: number;
  listenHost: string;
  kvConfigPath: string;
  scanNotActiveBrokerIntervalMs: number;
  brokerChannelExpiredMs: number;
  maxFrameBytes: number;
  /** HTTP port of the cluster dashboard, 0 = off. */
  namesrvHttpPort: number;
  namesrvHttpHost: string;
  /** Token the dashboard asks for before admin actions; empty = read-only. */
  adminHttpToken: string;
}

export function defaultNamesrvConfig(over: Partial<NamesrvConfig> = {}): NamesrvConfig {
  return {
    listenPort: 9876,
    listenHost: '0.0.0.0',
    kvConfigPath: join(homedir(), 'namesrv', 'kvConfig.json'),
    scanNotActiveBrokerIntervalMs: 10_000,
    brokerChannelExpiredMs: 120_000,
    maxFrameBytes: 16 * 1024 * 1024,
    namesrvHttpPort: 0,
    namesrvHttpHost: '127.0.0.1',
    adminHttpToken: '',
    ...over,
  };
}

export const namesrvConfigHelp: Record<keyof NamesrvConfig, string> = {
  listenPort: 'TCP port the name server listens on (mq-server key: namesrvListenPort)',
  listenHost: 'address the name server binds (mq-server key: namesrvListenHost)',
  kvConfigPath: 'JSON file holding the KV config (PUT_KV_CONFIG / ORDER_TOPIC_CONFIG), rewritten on each change',
  scanNotActiveBrokerIntervalMs: 'how often brokers that stopped registering are looked for, ms',
  brokerChannelExpiredMs: 'a broker not re-registered for this long is removed with its routes, ms',
  maxFrameBytes: 'largest remoting frame accepted, bytes',
  namesrvHttpPort: 'HTTP port of the cluster dashboard served by the name server, 0 = off',
  namesrvHttpHost: 'address the name server dashboard binds, default 127.0.0.1',
  adminHttpToken: 'token the dashboard asks for before admin actions (header X-Admin-Token); empty = read-only dashboard',
};

/** Keys UPDATE_NAMESRV_CONFIG may not change at runtime (paths and sockets). */
export const namesrvConfigReadOnlyKeys: ReadonlySet<string> = new Set(['listenPort', 'listenHost', 'kvConfigPath', 'namesrvHttpPort', 'namesrvHttpHost', 'adminHttpToken']);

/**
 * Java Properties text -> ordered [key, value] pairs. `#` and `!` start comments, `=` or `:` (or
 * the first whitespace) separates key and value, surrounding whitespace is trimmed, and a line
 * ending in a backslash continues on the next one.
 */
export function parseProperties(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.trim();
    }
    const m = /^((?:\\.|[^=:\s\\])+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m) out.push([unescapeProperty(m[1]!), unescapeProperty(m[2]!.trim())]);
    else out.push([unescapeProperty(line), '']);
  }
  return out;
}

function unescapeProperty(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    return c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c === 'f' ? '\f' : c;
  });
}

/** `key=value` lines, one per key, in the object's key order. */
export function formatProperties(obj: object): string {
  return Object.entries(obj).map(([k, v]) => `${k}=${v ?? ''}\n`).join('');
}

/** Converts a properties string onto the type of `sample`; throws a message naming key and value. */
export function convertValue(key: string, raw: string, sample: unknown): string | number | boolean {
  if (typeof sample === 'number') {
    const n = raw.trim() === '' ? NaN : Number(raw);
    if (!Number.isFinite(n)) throw new Error(`bad value for ${key}: '${raw}' is not a number`);
    return n;
  }
  if (typeof sample === 'boolean') {
    const v = raw.trim().toLowerCase();
    if (v !== 'true' && v !== 'false') throw new Error(`bad value for ${key}: '${raw}' is not true or false`);
    return v === 'true';
  }
  return raw;
}
