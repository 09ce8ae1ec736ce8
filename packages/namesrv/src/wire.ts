// Name-server bodies as the 4.x name server writes them. Fastjson writes bean fields in
// alphabetical order and omits nulls; maps keyed by Long (brokerAddrs) get unquoted integer keys,
// except in the route reply to new clients (version >= 401 or acceptStandardJsonOnly), which is
// standard JSON with quoted keys and non-ASCII characters escaped (BrowserCompatible).
import { crc32, inflateSync } from 'node:zlib';
import { arrayOf, asNumeric, asObject, asString, asUnknown, entriesOf, optField, parseFastJson } from '@rmq/remoting';
import { javaHashOrder } from './java-hash-order.js';
import type { BrokerData, ClusterInfo, DataVersion, TopicConfig, TopicRouteData } from './route-info-manager.js';

const q = (s: string) => JSON.stringify(s);

function brokerAddrsJson(addrs: Map<number, string>, standard: boolean): string {
  const ids = [...addrs.keys()].sort((a, b) => a - b);
  return '{' + ids.map((id) => `${standard ? q(String(id)) : id}:${q(addrs.get(id)!)}`).join(',') + '}';
}

function brokerDataJson(b: BrokerData, standard: boolean): string {
  return `{"brokerAddrs":${brokerAddrsJson(b.brokerAddrs, standard)},"brokerName":${q(b.brokerName)},"cluster":${q(b.cluster)}}`;
}

function escapeNonAscii(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

export function encodeTopicRouteData(route: TopicRouteData, orderTopicConf: string | null, standard: boolean): Buffer {
  const parts = [`"brokerDatas":[${route.brokerDatas.map((b) => brokerDataJson(b, standard)).join(',')}]`];
  const filter = [...route.filterServerTable].map(([addr, list]) => `${q(addr)}:${JSON.stringify(list)}`);
  parts.push(`"filterServerTable":{${filter.join(',')}}`);
  if (orderTopicConf !== null) parts.push(`"orderTopicConf":${q(orderTopicConf)}`);
  const queues = route.queueDatas.map((d) => `{"brokerName":${q(d.brokerName)},"perm":${d.perm},`
    + `"readQueueNums":${d.readQueueNums},"topicSysFlag":${d.topicSysFlag},"writeQueueNums":${d.writeQueueNums}}`);
  parts.push(`"queueDatas":[${queues.join(',')}]`);
  const json = `{${parts.join(',')}}`;
  return Buffer.from(standard ? escapeNonAscii(json) : json, 'utf8');
}

export function encodeClusterInfo(info: ClusterInfo): Buffer {
  const brokers = info.brokerAddrTable.map((b) => `${q(b.brokerName)}:${brokerDataJson(b, false)}`);
  const clusters = info.clusterAddrTable.map(([c, names]) => `${q(c)}:${JSON.stringify(names)}`);
  return Buffer.from(`{"brokerAddrTable":{${brokers.join(',')}},"clusterAddrTable":{${clusters.join(',')}}}`, 'utf8');
}

export function encodeTopicList(topics: string[], brokerAddr: string | null = null): Buffer {
  const addr = brokerAddr === null ? '' : `"brokerAddr":${q(brokerAddr)},`;
  return Buffer.from(`{${addr}"topicList":${JSON.stringify(topics)}}`, 'utf8');
}

/** KVTable {table:{k:v}}; Apache's table is a HashMap, so keys come in Java hash order. */
export function encodeKvTable(table: Map<string, string>): Buffer {
  const entries = javaHashOrder(table.keys()).map((k) => `${q(k)}:${q(table.get(k)!)}`);
  return Buffer.from(`{"table":{${entries.join(',')}}}`, 'utf8');
}

export function encodeDataVersion(dv: DataVersion): Buffer {
  return Buffer.from(`{"counter":${dv.counter},"timestamp":${dv.timestamp}}`, 'utf8');
}

/** Java's UtilAll.crc32: CRC-32 of the bytes with the sign bit cleared. */
export function bodyCrc32(body: Buffer): number {
  return crc32(body) & 0x7fffffff;
}

export interface RegisterBrokerBody {
  dataVersion: DataVersion;
  topicConfigs: TopicConfig[];
  filterServerList: string[];
}

function num(v: unknown, dflt: number): number {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : dflt;
}

/** DataVersion {counter, timestamp}; null or absent is zero. A value of the wrong type throws JsonDecodeError. */
export function decodeDataVersion(raw: unknown, what = 'dataVersion'): DataVersion {
  if (raw === null || raw === undefined) return { timestamp: 0, counter: 0 };
  const dv = asObject(raw, what);
  return { timestamp: optField(dv, 'timestamp', asNumeric, what) ?? 0, counter: optField(dv, 'counter', asNumeric, what) ?? 0 };
}

const REGISTER = 'register broker body';

const topicConfigOf = (name: string, v: unknown, what: string): TopicConfig => {
  const tc = asObject(v, what);
  return {
    topicName: optField(tc, 'topicName', asString, what) ?? name,
    readQueueNums: optField(tc, 'readQueueNums', asNumeric, what) ?? 16,
    writeQueueNums: optField(tc, 'writeQueueNums', asNumeric, what) ?? 16,
    perm: optField(tc, 'perm', asNumeric, what) ?? 6,
    topicSysFlag: optField(tc, 'topicSysFlag', asNumeric, what) ?? 0,
  };
};

/**
 * REGISTER_BROKER body: {filterServerList, topicConfigSerializeWrapper:{dataVersion, topicConfigTable}}.
 * A field of the wrong type throws JsonDecodeError naming it (the reply is then an error, as for a body that does not parse).
 */
export function decodeRegisterBrokerBody(body: Buffer | null): RegisterBrokerBody {
  if (!body || body.length === 0) {
    return { dataVersion: { timestamp: 0, counter: 0 }, topicConfigs: [], filterServerList: [] };
  }
  const root = asObject(parseFastJson(body.toString('utf8')), REGISTER);
  // The pre-3.0.11 form is the wrapper itself, without filterServerList.
  const wrapperWhat = `${REGISTER}.topicConfigSerializeWrapper`;
  const wrapper = optField(root, 'topicConfigSerializeWrapper', asObject, REGISTER) ?? root;
  const table = optField(wrapper, 'topicConfigTable', entriesOf(asUnknown), wrapperWhat) ?? [];
  const topicConfigs = table.map(([name, tc]) => topicConfigOf(name, tc, `${wrapperWhat}.topicConfigTable.${name}`));
  const filterServerList = optField(root, 'filterServerList', arrayOf(asString), REGISTER) ?? [];
  return { dataVersion: decodeDataVersion(wrapper.dataVersion, `${wrapperWhat}.dataVersion`), topicConfigs, filterServerList };
}

/**
 * The compressed REGISTER_BROKER body (broker compressedRegister=true): one zlib stream of
 * length-prefixed (int32 BE) parts: the dataVersion JSON, a topic count, each topic config as the
 * space-separated text "name readQueueNums writeQueueNums perm filterType [...]", then the filter
 * server list JSON. That text form carries no topicSysFlag.
 */
export function decodeCompressedRegisterBrokerBody(body: Buffer): RegisterBrokerBody {
  const data = inflateSync(body, { maxOutputLength: 64 * 1024 * 1024 });
  let pos = 0;
  const part = (): Buffer => {
    if (pos + 4 > data.length) throw new Error('compressed register body truncated');
    const n = data.readInt32BE(pos);
    if (n < 0 || pos + 4 + n > data.length) throw new Error('compressed register body truncated');
    pos += 4 + n;
    return data.subarray(pos - n, pos);
  };
  const dataVersion = decodeDataVersion(parseFastJson(part().toString('utf8')), 'compressed register body dataVersion');
  if (pos + 4 > data.length) throw new Error('compressed register body truncated');
  const count = data.readInt32BE(pos);
  pos += 4;
  const topicConfigs: TopicConfig[] = [];
  for (let i = 0; i < count; i++) {
    const fields = part().toString('utf8').split(' ');
    if (fields.length < 5) continue; // Apache skips what it cannot read, too
    topicConfigs.push({
      topicName: fields[0]!,
      readQueueNums: num(fields[1], 16),
      writeQueueNums: num(fields[2], 16),
      perm: num(fields[3], 6),
      topicSysFlag: 0,
    });
  }
  const filters = parseFastJson(part().toString('utf8'));
  const filterServerList = filters === null ? [] : arrayOf(asString)(filters, 'compressed register body filterServerList');
  return { dataVersion, topicConfigs, filterServerList };
}
