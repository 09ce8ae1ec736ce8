// What each mq-server key accepts: type, enum, range or syntax, checked before anything starts.
// A key the table does not list is still checked against the type of its default (numbers are
// integers >= 0: every numeric key of the broker, store and name server is a count, size or time).
// Keys that ask for a feature (replication, ACL) are refused while that feature's code is absent.

export type Feature = 'ha' | 'acl';

/**
 * Which optional features this build of the broker has: a feature counts as present once its keys
 * are in the broker's defaults or the broker exports its service, so the refusals of HA/ACL keys
 * go away by themselves when that code lands.
 */
export function detectFeatures(defaults: object | object[], exportsOf: object): Record<Feature, boolean> {
  const names = Object.keys(exportsOf);
  const has = (key: string) => (Array.isArray(defaults) ? defaults : [defaults]).some((d) => key in d);
  return {
    ha: has('haListenPort') || has('haMasterAddress') || names.some((n) => /^(HA|Ha)[A-Z]/.test(n)),
    acl: has('aclEnable') || names.some((n) => /Acl|ACL|AccessValidator/.test(n)),
  };
}

export const featureNames: Record<Feature, string> = {
  ha: 'master/slave replication (HA)',
  acl: 'access control (ACL)',
};

export interface KeySpec {
  /** The value's kind: what `parse` converts the raw text to. */
  type: 'int' | 'bool' | 'string' | 'enum';
  min?: number;
  max?: number;
  /** 'int': must be a multiple of this. */
  multipleOf?: number;
  values?: readonly string[];
  /** 'string': syntax check on the text; `allowed` says in words what passes. */
  check?: (raw: string) => boolean;
  allowed?: string;
  /** Words that say what the number means (appended to range messages). */
  unit?: string;
  /** The key needs this feature when `needs(value)` holds (default: any value but false/0/''). */
  feature?: Feature;
  needs?: (value: unknown) => boolean;
}

const port = (unit: string): KeySpec => ({ type: 'int', min: 0, max: 65535, unit });
/** An integer >= 1: a period, size or count where 0 would mean a busy loop or nothing at all. */
const positive = (unit?: string): KeySpec => (unit === undefined ? { type: 'int', min: 1 } : { type: 'int', min: 1, unit });

/** host:port */
const hostPortRe = /^[^\s:;,]+:\d{1,5}$/;
function checkHostPort(s: string): boolean {
  if (!hostPortRe.test(s)) return false;
  const p = Number(s.slice(s.lastIndexOf(':') + 1));
  return p >= 1 && p <= 65535;
}

/** "host:port;host:port" (empty allowed: no name server). */
export function checkAddrList(raw: string): boolean {
  if (raw.trim() === '') return true;
  const items = raw.split(';').map((s) => s.trim()).filter((s) => s !== '');
  return items.length > 0 && items.every(checkHostPort);
}

/** A host name, an IPv4 address, or an IPv6 literal (two colons at least), without a port. */
const checkHost = (raw: string): boolean => /^[A-Za-z0-9._-]+$/.test(raw) || /^[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*$/.test(raw);
const checkName = (raw: string): boolean => /^[A-Za-z0-9_%|.-]+$/.test(raw);

/** deleteWhen: one hour or several separated by ';' ("04", "04;05"), each 00..23 (as Apache's). */
export function checkDeleteWhen(raw: string): boolean {
  return raw.split(';').map((s) => s.trim()).every((h) => /^\d{1,2}$/.test(h) && Number(h) <= 23);
}

/** messageDelayLevel: space-separated durations, each a positive integer with unit s, m, h or d. */
export function checkDelayLevels(raw: string): boolean {
  const items = raw.trim().split(/\s+/).filter((s) => s !== '');
  return items.length > 0 && items.every((it) => /^\d+[smhd]$/.test(it) && Number(it.slice(0, -1)) > 0);
}

const host = (): KeySpec => ({ type: 'string', check: checkHost, allowed: 'a host name or IP address (no spaces, no port)' });
const name = (): KeySpec => ({ type: 'string', check: checkName, allowed: 'a non-empty name of letters, digits and _ % | . -' });

/** By mq-server key (the name server's listenPort/listenHost are namesrvListenPort/namesrvListenHost). */
export const configSchema: Readonly<Record<string, KeySpec>> = {
  // name server
  namesrvListenPort: port('(0 = any free port)'),
  namesrvListenHost: host(),
  maxFrameBytes: { type: 'int', min: 1024 },
  // broker identity and network
  listenPort: port('(0 = any free port)'),
  adminHttpPort: port('(0 = off)'),
  brokerName: name(),
  brokerClusterName: name(),
  brokerIP1: host(),
  brokerIP2: host(),
  namesrvAddr: { type: 'string', check: checkAddrList, allowed: 'host:port items separated by ";" (port 1..65535), e.g. 127.0.0.1:9876;10.0.0.2:9876' },
  brokerPermission: { type: 'int', min: 0, max: 7, unit: '(bits: 2 write, 4 read)' },
  defaultTopicQueueNums: { type: 'int', min: 1, max: 1024 },
  maxMessageSize: positive('bytes'),
  messageDelayLevel: { type: 'string', check: checkDelayLevels, allowed: 'space-separated durations, each a positive integer with unit s, m, h or d (e.g. "1s 5s 10s 30s 1m 2h")' },
  maxReconsumeTimes: { type: 'int', min: 0, max: 10_000 },
  // replication: these ask for HA
  brokerId: { type: 'int', min: 0, feature: 'ha', needs: (v) => (v as number) > 0 },
  brokerRole: { type: 'enum', values: ['ASYNC_MASTER', 'SYNC_MASTER', 'SLAVE'], feature: 'ha', needs: (v) => v !== 'ASYNC_MASTER' },
  haListenPort: { type: 'int', min: -1, max: 65535, unit: '(-1 = listenPort + 1, 0 = any free port)', feature: 'ha', needs: () => true },
  haMasterAddress: { type: 'string', check: (s) => s.trim() === '' || checkHostPort(s.trim()), allowed: 'host:port of the master\'s HA port, e.g. 10.0.0.1:10912', feature: 'ha', needs: (v) => v !== '' },
  haSendHeartbeatInterval: { type: 'int', min: 1, feature: 'ha', needs: () => true },
  haHousekeepingInterval: { type: 'int', min: 1, feature: 'ha', needs: () => true },
  haTransferBatchSize: { type: 'int', min: 1, feature: 'ha', needs: () => true },
  haSlaveFallbehindMax: { type: 'int', min: 0, feature: 'ha', needs: () => true },
  // access control
  aclEnable: { type: 'bool', feature: 'acl', needs: (v) => v === true },
  // store
  flushDiskType: { type: 'enum', values: ['ASYNC_FLUSH', 'SYNC_FLUSH'] },
  diskMaxUsedSpaceRatio: { type: 'int', min: 10, max: 95, unit: 'percent' },
  deleteWhen: { type: 'string', check: checkDeleteWhen, allowed: 'hours of the day 00..23, several separated by ";" (e.g. 04 or 04;05)' },
  fileReservedTime: { type: 'int', min: 0, unit: 'hours' },
  mappedFileSizeCommitLog: { type: 'int', min: 4096, unit: 'bytes' },
  mappedFileSizeConsumeQueue: { type: 'int', min: 20, multipleOf: 20, unit: 'bytes (20 per entry)' },
  pageCacheBytesMax: positive('bytes'),
  pageCacheChunkBytes: { type: 'int', min: 4096, unit: 'bytes' },
  flushIntervalCommitLog: positive('ms'),
  flushIntervalConsumeQueue: positive('ms'),
  flushConsumeQueueLeastPages: { type: 'int', min: 0, max: 1_000_000, unit: 'pages of 4 KiB' },
  flushConsumeQueueThoroughInterval: positive('ms'),
  syncFlushTimeout: positive('ms'),
  maxHashSlotNum: positive(),
  maxIndexNum: positive(),
  storePathRootDir: { type: 'string', check: (s) => s.trim() !== '', allowed: 'a directory path' },
  // periods and bounds (positive: 0 would mean a busy loop or nothing at all)
  scanNotActiveBrokerIntervalMs: positive('ms'),
  brokerChannelExpiredMs: positive('ms'),
  registerBrokerIntervalMs: positive('ms'),
  registerBrokerTimeoutMills: positive('ms'),
  flushConsumerOffsetIntervalMs: positive('ms'),
  channelExpiredTimeoutMs: positive('ms'),
  rebalanceLockMaxLiveTimeMs: positive('ms'),
  transactionCheckInterval: positive('ms'),
  maxTransferBytesOnMessageInMemory: positive('bytes'),
  maxTransferCountOnMessageInMemory: positive(),
  msgTraceTopicName: name(),
  regionId: name(),
  timerPrecisionMs: positive('ms'),
  timerWheelSlots: positive(),
  timerFlushIntervalMs: positive('ms'),
  popReviveIntervalMs: positive('ms'),
  popFromRetryProbability: { type: 'int', min: 0, max: 100, unit: 'percent' },
};

/** Old spellings (Apache 4.x conf files) -> the key they mean. */
export const keyAliases: Readonly<Record<string, string>> = {
  mapedFileSizeCommitLog: 'mappedFileSizeCommitLog',
  mapedFileSizeConsumeQueue: 'mappedFileSizeConsumeQueue',
  // Apache's broker names for keys this broker spells with a unit
  flushConsumerOffsetInterval: 'flushConsumerOffsetIntervalMs',
  registerNameServerPeriod: 'registerBrokerIntervalMs',
};

/** A spec for a key the table does not list, from the type of its default. */
export function specFromDefault(sample: unknown): KeySpec {
  if (typeof sample === 'number') return { type: 'int', min: 0 };
  if (typeof sample === 'boolean') return { type: 'bool' };
  return { type: 'string' };
}

function describeInt(spec: KeySpec): string {
  const unit = spec.unit ? (spec.unit.startsWith('(') ? ` ${spec.unit}` : ` (${spec.unit})`) : '';
  const mult = spec.multipleOf ? `, a multiple of ${spec.multipleOf}` : '';
  if (spec.min !== undefined && spec.max !== undefined) return `an integer from ${spec.min} to ${spec.max}${mult}${unit}`;
  if (spec.min !== undefined) return `an integer >= ${spec.min}${mult}${unit}`;
  return `an integer${mult}${unit}`;
}

/** What `spec` allows, in words (for --help and refusals). */
export function describeSpec(spec: KeySpec): string {
  switch (spec.type) {
    case 'int': return describeInt(spec);
    case 'bool': return 'true or false';
    case 'enum': return `one of ${spec.values!.join(', ')}`;
    case 'string': return spec.allowed ?? 'text';
  }
}

/**
 * Converts `raw` by `spec`; throws an Error "bad value for KEY: 'RAW' is not WHAT IS ALLOWED".
 * Enum values are case-sensitive, as Apache's (Enum.valueOf); booleans are case-insensitive.
 */
export function parseValue(key: string, raw: string, spec: KeySpec): string | number | boolean {
  const bad = (allowed: string): never => {
    throw new Error(`bad value for ${key}: '${raw}' is not ${allowed}`);
  };
  const text = raw.trim();
  switch (spec.type) {
    case 'int': {
      if (!/^[+-]?\d+$/.test(text)) {
        // Keep "is not a number" for text that is no number at all; say "an integer" for 1.5.
        if (text === '' || !Number.isFinite(Number(text))) bad('a number');
        bad(describeInt(spec));
      }
      const n = Number(text);
      if (!Number.isSafeInteger(n)) bad(describeInt(spec));
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) bad(describeInt(spec));
      if (spec.multipleOf && n % spec.multipleOf !== 0) bad(describeInt(spec));
      return n;
    }
    case 'bool': {
      const v = text.toLowerCase();
      if (v !== 'true' && v !== 'false') bad('true or false');
      return v === 'true';
    }
    case 'enum':
      if (!spec.values!.includes(text)) bad(`one of ${spec.values!.join(', ')}`);
      return text;
    case 'string': {
      if (spec.check && !spec.check(raw)) bad(spec.allowed ?? 'valid');
      return raw;
    }
  }
}

/** Does this (already parsed) value ask for the key's feature? */
export function needsFeature(spec: KeySpec, value: unknown): boolean {
  if (!spec.feature) return false;
  if (spec.needs) return spec.needs(value);
  return value !== false && value !== 0 && value !== '';
}

/** Levenshtein distance, small strings only (key suggestions). */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The known key closest to an unknown one (case-insensitive match or at most 2 edits), if any. */
export function suggestKey(key: string, known: Iterable<string>): string | null {
  let best: string | null = null;
  let bestD = 3;
  for (const k of known) {
    if (k.toLowerCase() === key.toLowerCase()) return k;
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) { bestD = d; best = k; }
  }
  return best;
}
