// Just enough RocketMQ remoting (JSON headers) to prepare a run against any RocketMQ 4.x server:
// list the cluster's masters (GET_BROKER_CLUSTER_INFO), create topics on each (UPDATE_AND_CREATE_TOPIC)
// and wait until the name server routes them (GET_ROUTEINFO_BY_TOPIC). Self-contained on purpose:
// it does not depend on our client, so it also works when the client is what is being debugged.
import { connect, type Socket } from 'node:net';

const GET_ROUTEINFO_BY_TOPIC = 105;
const GET_BROKER_CLUSTER_INFO = 106;
const UPDATE_AND_CREATE_TOPIC = 17;
const GET_BROKER_RUNTIME_INFO = 28;

export interface Reply { code: number; remark: string | null; extFields: Record<string, string>; body: Buffer }

/** Encodes one JSON-serialized request frame. */
export function encodeRequest(code: number, opaque: number, extFields: Record<string, string>): Buffer {
  const header = Buffer.from(JSON.stringify({ code, language: 'JAVA', version: 433, opaque, flag: 0, remark: null, extFields, serializeTypeCurrentRPC: 'JSON' }));
  const frame = Buffer.allocUnsafe(8 + header.length);
  frame.writeUInt32BE(4 + header.length, 0);
  frame.writeUInt32BE(header.length & 0xffffff, 4); // high byte 0 = JSON
  header.copy(frame, 8);
  return frame;
}

/** Decodes one reply frame (without the leading total-length field). JSON and ROCKETMQ headers. */
export function decodeReply(frame: Buffer): Reply & { opaque: number } {
  const lenField = frame.readUInt32BE(0);
  const type = lenField >>> 24;
  const headerLen = lenField & 0xffffff;
  const header = frame.subarray(4, 4 + headerLen);
  const body = frame.subarray(4 + headerLen);
  if (type === 0) {
    const h = JSON.parse(header.toString('utf8')) as { code: number; opaque: number; remark?: string | null; extFields?: Record<string, unknown> };
    const ext: Record<string, string> = {};
    for (const [k, v] of Object.entries(h.extFields ?? {})) ext[k] = String(v);
    return { code: h.code, opaque: h.opaque, remark: h.remark ?? null, extFields: ext, body };
  }
  // ROCKETMQ binary header: code i16, lang u8, version i16, opaque i32, flag i32, remark, extFields.
  const code = header.readInt16BE(0);
  const opaque = header.readInt32BE(5);
  let p = 13;
  const remarkLen = header.readInt32BE(p); p += 4;
  const remark = remarkLen > 0 ? header.toString('utf8', p, p + remarkLen) : null; p += Math.max(0, remarkLen);
  const extLen = header.readInt32BE(p); p += 4;
  const ext: Record<string, string> = {};
  const end = p + extLen;
  while (p < end) {
    const kl = header.readInt16BE(p); p += 2;
    const k = header.toString('utf8', p, p + kl); p += kl;
    const vl = header.readInt32BE(p); p += 4;
    ext[k] = header.toString('utf8', p, p + vl); p += vl;
  }
  return { code, opaque, remark, extFields: ext, body };
}

/** Parses fastjson text (unquoted integer keys such as {0:"addr"}) as JSON. */
export function parseLenientJson(text: string): unknown {
  return JSON.parse(text.replace(/([{,])\s*(-?\d+)\s*:/g, '$1"$2":'));
}

/** One request on a fresh connection. */
export function request(addr: string, code: number, extFields: Record<string, string>, timeoutMs = 5000): Promise<Reply> {
  const [host, portText] = splitAddr(addr);
  return new Promise((resolve, reject) => {
    const sock: Socket = connect({ host, port: Number(portText) });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`${addr}: request ${code} timed out`)); }, timeoutMs);
    sock.on('connect', () => sock.write(encodeRequest(code, 1, extFields)));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 4) return;
      const total = buf.readUInt32BE(0);
      if (buf.length < 4 + total) return;
      clearTimeout(timer);
      sock.destroy();
      try { resolve(decodeReply(buf.subarray(4, 4 + total))); } catch (e) { reject(e as Error); }
    });
    sock.on('error', (e) => { clearTimeout(timer); reject(new Error(`${addr}: ${e.message}`)); });
  });
}

function splitAddr(addr: string): [string, string] {
  const i = addr.lastIndexOf(':');
  return [addr.slice(0, i), addr.slice(i + 1)];
}

export interface BrokerInfo { brokerName: string; cluster: string; masterAddr: string }

export async function masterBrokers(namesrv: string): Promise<BrokerInfo[]> {
  const errors: string[] = [];
  for (const ns of namesrv.split(';').filter(Boolean)) {
    try {
      const r = await request(ns, GET_BROKER_CLUSTER_INFO, {});
      if (r.code !== 0) throw new Error(`code ${r.code} ${r.remark ?? ''}`);
      const info = parseLenientJson(r.body.toString('utf8')) as { brokerAddrTable?: Record<string, { brokerName: string; cluster: string; brokerAddrs: Record<string, string> }> };
      const out: BrokerInfo[] = [];
      for (const b of Object.values(info.brokerAddrTable ?? {})) {
        const master = b.brokerAddrs['0'];
        if (master) out.push({ brokerName: b.brokerName, cluster: b.cluster, masterAddr: master });
      }
      return out;
    } catch (e) {
      errors.push(`${ns}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no name server answered: ${errors.join('; ')}`);
}

/** GET_BROKER_RUNTIME_INFO: the broker's KVTable ({"table": {...}}) as a map; null when it does not answer. */
export async function brokerRuntimeInfo(addr: string): Promise<Record<string, string> | null> {
  try {
    const r = await request(addr, GET_BROKER_RUNTIME_INFO, {});
    if (r.code !== 0) return null;
    const t = (parseLenientJson(r.body.toString('utf8')) as { table?: Record<string, unknown> }).table ?? {};
    return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, String(v)]));
  } catch {
    return null;
  }
}

/**
 * The memory a broker of ours holds as file images (runtime info: commit log pages, consume queue
 * and index files): part of its RSS, the part Apache keeps in the kernel's page cache through mmap.
 * null for a broker that does not report them (Apache's).
 */
export async function brokerFileCaches(namesrv: string): Promise<{ commitLogBytes: number; consumeQueueBytes: number; indexBytes: number } | null> {
  const masters = await masterBrokers(namesrv).catch(() => []);
  if (masters.length !== 1) return null;
  const info = await brokerRuntimeInfo(masters[0]!.masterAddr);
  if (!info || info.pageCacheResidentBytes === undefined || info.consumeQueueCacheBytes === undefined || info.indexCacheBytes === undefined) return null;
  return { commitLogBytes: Number(info.pageCacheResidentBytes), consumeQueueBytes: Number(info.consumeQueueCacheBytes), indexBytes: Number(info.indexCacheBytes) };
}

/** The broker names that a GET_ROUTEINFO_BY_TOPIC body gives queues to. */
export function routedBrokers(body: Buffer): Set<string> {
  try {
    const route = parseLenientJson(body.toString('utf8')) as { queueDatas?: Array<{ brokerName?: string }> };
    return new Set((route.queueDatas ?? []).map((q) => q.brokerName ?? '').filter(Boolean));
  } catch {
    return new Set();
  }
}

/** Creates `topics` with `queues` read/write queues on every master, then waits for the routes. */
export async function createTopics(namesrv: string, topics: string[], queues: number, waitMs = 15_000): Promise<BrokerInfo[]> {
  const masters = await masterBrokers(namesrv);
  if (masters.length === 0) throw new Error('the name server lists no master broker');
  for (const m of masters) {
    for (const topic of topics) {
      const r = await request(m.masterAddr, UPDATE_AND_CREATE_TOPIC, {
        topic, defaultTopic: 'TBW102', readQueueNums: String(queues), writeQueueNums: String(queues), perm: '6',
        topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false',
      });
      if (r.code !== 0) throw new Error(`create topic ${topic} on ${m.brokerName} (${m.masterAddr}): code ${r.code} ${r.remark ?? ''}`);
    }
  }
  const deadline = Date.now() + waitMs;
  for (const topic of topics) {
    for (;;) {
      const ns = namesrv.split(';')[0]!;
      const r = await request(ns, GET_ROUTEINFO_BY_TOPIC, { topic }).catch(() => null);
      // Wait for every master's queues, not only the first to re-register: a run against several
      // brokers would otherwise send to some of them for the whole run (the client's routes refresh
      // every 30 s).
      if (r && r.code === 0 && routedBrokers(r.body).size >= masters.length) break;
      if (Date.now() > deadline) throw new Error(`topic ${topic} has no route on ${ns} after ${waitMs} ms`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }
  return masters;
}
