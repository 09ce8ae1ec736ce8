// Name-server settings: defaults, one help line per key, and the properties-text form used by
// GET_NAMESRV_CONFIG (319) / UPDATE_NAMESRV_CONFIG (318) and by mq-server's config files.
import { homedir } from 'node:os';
import { convertValue, formatProperties, parseJavaProperties } from '@rmq/remoting';
import { join } from 'node:path';

export interface NamesrvConfig {
  listenPort: number;
  listenHost: string;
  kvConfigPath: string;
  scanNotActiveBrokerIntervalMs: number;
  brokerChannelExpiredMs: number;
  maxFrameBytes: number;
  serverChannelMaxIdleTimeSeconds: number;
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
    serverChannelMaxIdleTimeSeconds: 120,
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
  serverChannelMaxIdleTimeSeconds: 'close a connection that sent nothing for this long, seconds (0 = never)',
  namesrvHttpPort: 'HTTP port of the cluster dashboard served by the name server, 0 = off',
  namesrvHttpHost: 'address the name server dashboard binds, default 127.0.0.1',
  adminHttpToken: 'token the dashboard asks for before admin actions (header X-Admin-Token); empty = read-only dashboard',
};

/** Keys UPDATE_NAMESRV_CONFIG may not change at runtime (paths and sockets). */
export const namesrvConfigReadOnlyKeys: ReadonlySet<string> = new Set(['listenPort', 'listenHost', 'kvConfigPath', 'namesrvHttpPort', 'namesrvHttpHost', 'adminHttpToken']);

/**
 * Java Properties text -> ordered [key, value] pairs (the shared parser of @rmq/remoting), values
 * trimmed at the end too: name-server config files and UPDATE_NAMESRV_CONFIG bodies are typed by hand.
 */
export function parseProperties(text: string): Array<[string, string]> {
  return parseJavaProperties(text).map(([k, v]) => [k, v.trimEnd()]);
}

export { convertValue, formatProperties };
