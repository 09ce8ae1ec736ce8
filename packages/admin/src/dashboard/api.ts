// The dashboard's REST API and live-rates feed, independent of the HTTP server that carries them
// (the broker's and the name server's uWebSockets.js apps mount it, see mount.ts). Everything goes
// through the client's Admin API over the remoting protocol, so the views cover the whole cluster
// the name server knows. Reads are open; actions need the admin credentials (see authorize).
import { Admin, MQBrokerError, MQClientError, isDlqTopic, isRetryTopic, type MessageExt } from '@rmq/client';
import { topicKind } from '../commands.js';
import { isJsonObject } from '@rmq/remoting';

export interface ApiRequest {
  method: string;
  /** Path without the query string, e.g. /api/topics. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

export interface DashboardOptions {
  namesrvAddr: string;
  /** Admin actions are allowed with this token (header X-Admin-Token or Authorization: Bearer). Empty: read-only. */
  adminToken?: string;
  /** Another way to grant admin rights (an ACL admin account); consulted before the token. */
  authorize?: (headers: Record<string, string>) => boolean;
  /** Where this dashboard is served from ("broker broker-a" / "name server"), shown in the header. */
  servedBy: string;
  timeoutMs?: number;
  /**
   * The brokers check ACL: a request carrying X-Access-Key / X-Secret-Key is run by an admin client
   * signed with that account (reads and actions), and the brokers decide what it may do; an ACL
   * account with admin: true can change the cluster, as with Apache's dashboard.
   */
  acl?: boolean;
}

export interface RatesFrame {
  t: number;
  brokers: Array<{ cluster: string; brokerName: string; brokerId: number; addr: string; putTps: number; getTps: number; putTotal: number; getTotal: number; up: boolean }>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

const BODY_MAX = 1 << 20;
const LIST_DETAIL_MAX = 200;

function str(q: URLSearchParams | Record<string, unknown>, name: string, required = true): string {
  const v = q instanceof URLSearchParams ? q.get(name) : q[name];
  if (v === null || v === undefined || v === '') {
    if (required) throw new HttpError(400, `missing ${name}`);
    return '';
  }
  return String(v);
}

function int(v: unknown, name: string, dflt?: number): number {
  if (v === undefined || v === null || v === '') {
    if (dflt === undefined) throw new HttpError(400, `missing ${name}`);
    return dflt;
  }
  const n = Number(v);
  if (!Number.isInteger(n)) throw new HttpError(400, `${name} must be an integer`);
  return n;
}

function messageView(m: MessageExt): Record<string, unknown> {
  const text = m.body.toString('utf8');
  let json: unknown = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return {
    topic: m.topic, msgId: m.msgId, offsetMsgId: m.offsetMsgId, brokerName: m.brokerName, queueId: m.queueId, queueOffset: m.queueOffset,
    commitLogOffset: m.commitLogOffset, tags: m.tags ?? '', keys: m.keys ?? '', bornTimestamp: m.bornTimestamp, bornHost: m.bornHost,
    storeTimestamp: m.storeTimestamp, storeHost: m.storeHost, reconsumeTimes: m.reconsumeTimes, storeSize: m.storeSize, sysFlag: m.sysFlag,
    properties: m.properties, bodyText: text.includes('\uFFFD') ? null : text, bodyHex: m.body.toString('hex'), bodyJson: json, bodySize: m.body.length,
  };
}

async function settle<T>(p: Promise<T>): Promise<T | null> {
  try { return await p; } catch { return null; }
}

export class DashboardApi {
  readonly admin: Admin;
  private readonly opts: DashboardOptions;
  private lastSample: Map<string, { t: number; put: number; get: number }> = new Map();
  private lastFrame: RatesFrame | null = null;

  constructor(opts: DashboardOptions) {
    this.opts = opts;
    this.admin = new Admin({ namesrvAddr: opts.namesrvAddr, timeoutMs: opts.timeoutMs ?? 5000, producerGroup: 'DASHBOARD_PRODUCER' });
  }

  async close(): Promise<void> {
    for (const a of this.signed.values()) await a.close().catch(() => undefined);
    this.signed.clear();
    await this.admin.close();
  }

  private readonly signed = new Map<string, Admin>();

  /** The admin client of a request: the ACL account it carries, else the dashboard's own. */
  private adminFor(headers: Record<string, string>): Admin {
    const ak = headers['x-access-key'], sk = headers['x-secret-key'];
    if (!this.opts.acl || !ak || !sk) return this.admin;
    const key = `${ak}\u0000${sk}`;
    let a = this.signed.get(key);
    if (!a) {
      if (this.signed.size >= 16) { const [k, old] = this.signed.entries().next().value as [string, Admin]; this.signed.delete(k); void old.close(); }
      a = new Admin({ namesrvAddr: this.opts.namesrvAddr, timeoutMs: this.opts.timeoutMs ?? 5000, producerGroup: 'DASHBOARD_PRODUCER', credentials: { accessKey: ak, secretKey: sk } });
      this.signed.set(key, a);
    }
    return a;
  }

  isAdmin(headers: Record<string, string>): boolean {
    if (this.opts.authorize?.(headers)) return true;
    if (this.opts.acl && headers['x-access-key'] && headers['x-secret-key']) return true; // the brokers check the account
    const token = this.opts.adminToken ?? '';
    if (token === '') return false;
    const given = headers['x-admin-token'] ?? (headers['authorization']?.startsWith('Bearer ') ? headers['authorization'].slice(7) : '');
    if (given.length !== token.length) return false;
    let diff = 0;
    for (let i = 0; i < token.length; i++) diff |= token.charCodeAt(i) ^ given.charCodeAt(i);
    return diff === 0;
  }

  async handle(req: ApiRequest): Promise<ApiResponse> {
    const admin = this.adminFor(req.headers);
    if (admin !== this.admin) return this.withAdmin(admin).handle(req, true);
    return this.handleWith(req, false);
  }

  /** A view of this API over another admin client (one ACL account), sharing nothing else. */
  private withAdmin(admin: Admin): { handle(req: ApiRequest, signed: boolean): Promise<ApiResponse> } {
    const view = Object.create(this) as DashboardApi;
    Object.defineProperty(view, 'admin', { value: admin });
    return { handle: (req, signed) => view.handleWith(req, signed) };
  }

  private async handleWith(req: ApiRequest, signed: boolean): Promise<ApiResponse> {
    try {
      if (req.body.length > BODY_MAX) throw new HttpError(413, 'request body too large');
      const body = req.method === 'POST' ? this.parseBody(req.body) : {};
      if (req.method === 'POST') {
        if (!signed && !this.isAdmin(req.headers)) {
          const why = (this.opts.adminToken ?? '') === '' && !this.opts.authorize ? 'this dashboard is read-only (no adminHttpToken configured)' : 'admin credentials required (sign in with the admin token)';
          throw new HttpError(403, why);
        }
        return { status: 200, body: await this.post(req.path, body) };
      }
      if (req.method !== 'GET') throw new HttpError(405, 'method not allowed');
      return { status: 200, body: await this.get(req.path, req.query, req.headers) };
    } catch (e) {
      if (e instanceof HttpError) return { status: e.status, body: { error: e.message } };
      if (e instanceof MQBrokerError) return { status: e.responseCode === 16 ? 403 : 502, body: { error: e.message, code: e.responseCode } };
      if (e instanceof MQClientError) return { status: 502, body: { error: e.message } };
      return { status: 500, body: { error: (e as Error).message ?? String(e) } };
    }
  }

  private parseBody(b: Buffer): Record<string, unknown> {
    if (b.length === 0) return {};
    try {
      const v: unknown = JSON.parse(b.toString('utf8'));
      if (isJsonObject(v)) return v;
    } catch { /* below */ }
    throw new HttpError(400, 'the body must be a JSON object');
  }

  private async get(path: string, q: URLSearchParams, headers: Record<string, string>): Promise<unknown> {
    switch (path) {
      case '/api/session': return { admin: this.isAdmin(headers), acl: this.opts.acl === true, adminConfigured: (this.opts.adminToken ?? '') !== '' || !!this.opts.authorize || this.opts.acl === true, servedBy: this.opts.servedBy, namesrvAddr: this.opts.namesrvAddr };
      case '/api/cluster': return this.cluster();
      case '/api/topics': return this.topics();
      case '/api/topic': return this.topic(str(q, 'topic'));
      case '/api/groups': return this.groups();
      case '/api/group': return this.group(str(q, 'group'));
      case '/api/messages': return this.messages(q);
      case '/api/message': return this.message(str(q, 'topic', false), str(q, 'msgId'));
      case '/api/connections': return this.connections(str(q, 'producerGroup', false), str(q, 'topic', false));
      case '/api/broker/config': return this.admin.getBrokerConfig(str(q, 'addr'));
      case '/api/rates': return this.lastFrame ?? await this.sampleRates();
      default: throw new HttpError(404, `no such endpoint ${path}`);
    }
  }

  private async defaultTarget(b: Record<string, unknown>): Promise<{ clusterName?: string; brokerAddr?: string }> {
    if (b['brokerAddr']) return { brokerAddr: String(b['brokerAddr']) };
    if (b['clusterName']) return { clusterName: String(b['clusterName']) };
    const clusters = Object.keys((await this.admin.clusterInfo()).clusters);
    if (clusters.length !== 1) throw new HttpError(400, `choose a cluster (${clusters.join(', ') || 'none registered'})`);
    return { clusterName: clusters[0]! };
  }

  private async post(path: string, b: Record<string, unknown>): Promise<unknown> {
    switch (path) {
      case '/api/topic': {
        const perm = int(b['perm'], 'perm', 6);
        if (![2, 4, 6].includes(perm)) throw new HttpError(400, 'perm must be 2, 4 or 6');
        const r = int(b['readQueueNums'], 'readQueueNums', 8), w = int(b['writeQueueNums'], 'writeQueueNums', 8);
        if (r < 1 || w < 1 || r > 1024 || w > 1024) throw new HttpError(400, 'queue numbers must be 1..1024');
        const brokers = await this.admin.createOrUpdateTopic({ topic: str(b, 'topic'), readQueueNums: r, writeQueueNums: w, perm, order: b['order'] === true }, await this.defaultTarget(b));
        return { ok: true, brokers };
      }
      case '/api/topic/delete': return { ok: true, brokers: await this.admin.deleteTopic(str(b, 'topic'), b['clusterName'] ? String(b['clusterName']) : undefined) };
      case '/api/topic/send': {
        const msg: { topic: string; body: string; tags?: string; keys?: string } = { topic: str(b, 'topic'), body: String(b['body'] ?? '') };
        if (b['tags']) msg.tags = String(b['tags']);
        if (b['keys']) msg.keys = String(b['keys']);
        const count = int(b['count'], 'count', 1);
        if (count < 1 || count > 1000) throw new HttpError(400, 'count must be 1..1000');
        const results = [];
        for (let i = 0; i < count; i++) results.push(await this.admin.sendMessage(msg));
        return { ok: true, results };
      }
      case '/api/group': {
        const cfg: Parameters<Admin['createOrUpdateGroup']>[0] = { groupName: str(b, 'groupName') };
        for (const k of ['consumeEnable', 'consumeBroadcastEnable', 'consumeFromMinEnable'] as const) if (typeof b[k] === 'boolean') cfg[k] = b[k] as boolean;
        if (b['retryMaxTimes'] !== undefined) cfg.retryMaxTimes = int(b['retryMaxTimes'], 'retryMaxTimes');
        if (b['retryQueueNums'] !== undefined) cfg.retryQueueNums = int(b['retryQueueNums'], 'retryQueueNums');
        return { ok: true, brokers: await this.admin.createOrUpdateGroup(cfg, await this.defaultTarget(b)) };
      }
      case '/api/group/delete': return { ok: true, brokers: await this.admin.deleteGroup(str(b, 'groupName'), await this.defaultTarget(b), b['removeOffset'] === true) };
      case '/api/group/reset': {
        const ts = int(b['timestamp'], 'timestamp');
        return { ok: true, offsets: await this.admin.resetOffsetByTime(str(b, 'group'), str(b, 'topic'), ts, true) };
      }
      case '/api/group/skip': return { ok: true, offsets: await this.admin.skipAccumulated(str(b, 'group'), str(b, 'topic')) };
      case '/api/message/requeue': return this.requeue(str(b, 'topic'), str(b, 'msgId'));
      case '/api/message/resend': return this.admin.consumeMessageDirectly(str(b, 'group'), str(b, 'clientId'), str(b, 'msgId'), str(b, 'topic', false) || undefined);
      case '/api/broker/config': {
        const key = str(b, 'key');
        return { ok: true, brokers: await this.admin.updateBrokerConfig({ [key]: String(b['value'] ?? '') }, { brokerAddr: str(b, 'addr') }) };
      }
      default: throw new HttpError(404, `no such endpoint ${path}`);
    }
  }

  // ---- views -------------------------------------------------------------------------------------

  async cluster(): Promise<unknown> {
    const rows = await this.admin.clusterBrokers();
    const frame = this.lastFrame;
    return {
      namesrvAddrs: this.admin.namesrvAddrs,
      brokers: rows.map((r) => {
        const rt = r.runtime ?? {};
        const live = frame?.brokers.find((b) => b.addr === r.addr);
        const master = rows.find((x) => x.brokerName === r.brokerName && x.brokerId === 0);
        const lag = r.brokerId !== 0 && master?.runtime && r.runtime ? Math.max(0, Number(master.runtime['commitLogMaxOffset'] ?? 0) - Number(rt['commitLogMaxOffset'] ?? 0)) : null;
        return {
          cluster: r.cluster, brokerName: r.brokerName, brokerId: r.brokerId, role: r.brokerId === 0 ? 'MASTER' : 'SLAVE', addr: r.addr,
          up: r.runtime !== null, error: r.error ?? null, version: rt['brokerVersionDesc'] ?? null,
          putTps: live?.putTps ?? Number((rt['putTps'] ?? '0').split(' ')[1] ?? 0), getTps: live?.getTps ?? Number((rt['getTransferedTps'] ?? '0').split(' ')[1] ?? 0),
          putToday: Number(rt['msgPutTotalTodayNow'] ?? 0), getToday: Number(rt['msgGetTotalTodayNow'] ?? 0),
          diskRatio: rt['commitLogDiskRatio'] !== undefined ? Number(rt['commitLogDiskRatio']) : null, diskCapacity: rt['commitLogDirCapacity'] ?? null,
          commitLogMaxOffset: Number(rt['commitLogMaxOffset'] ?? 0), replicationLagBytes: lag,
          bootTimestamp: Number(rt['bootTimestamp'] ?? 0), runtime: rt['runtime'] ?? null,
        };
      }),
    };
  }

  async topics(): Promise<unknown> {
    const [names, masters, info] = await Promise.all([this.admin.topicList(), this.admin.masters(), this.admin.clusterInfo()]);
    // Brokers register topics named after their cluster and themselves: system topics for the console.
    const own = new Set([...Object.keys(info.clusters), ...Object.keys(info.brokers)]);
    const kind = (t: string) => (own.has(t) ? 'system' : topicKind(t));
    const configs = new Map<string, { readQueueNums: number; writeQueueNums: number; perm: number; order: boolean; brokers: string[] }>();
    for (const m of masters) {
      const cfgs = await settle(this.admin.topicConfigs(m.addr));
      for (const [name, c] of Object.entries(cfgs ?? {})) {
        const prev = configs.get(name);
        if (prev) prev.brokers.push(m.brokerName);
        else configs.set(name, { readQueueNums: c.readQueueNums, writeQueueNums: c.writeQueueNums, perm: c.perm, order: c.order, brokers: [m.brokerName] });
      }
    }
    const all = [...new Set([...names, ...configs.keys()])].sort();
    const detail = all.filter((t) => kind(t) === 'normal' || isDlqTopic(t)).slice(0, LIST_DETAIL_MAX);
    const stats = new Map<string, { messages: number; lastUpdate: number }>();
    await Promise.all(detail.map(async (t) => {
      const qs = await settle(this.admin.topicStatus(t));
      if (qs) stats.set(t, { messages: qs.reduce((a, q) => a + q.maxOffset - q.minOffset, 0), lastUpdate: Math.max(0, ...qs.map((q) => q.lastUpdateTimestamp)) });
    }));
    return all.map((t) => ({ topic: t, kind: kind(t), ...(configs.get(t) ?? { readQueueNums: 0, writeQueueNums: 0, perm: 0, order: false, brokers: [] }), ...(stats.get(t) ?? { messages: null, lastUpdate: null }) }));
  }

  async topic(topic: string): Promise<unknown> {
    const route = await this.admin.topicRoute(topic);
    if (!route) throw new HttpError(404, `topic ${topic} has no route`);
    const [queues, groups] = await Promise.all([settle(this.admin.topicStatus(topic)), settle(this.admin.topicConsumedBy(topic))]);
    return { topic, kind: topicKind(topic), route, queues: queues ?? [], consumerGroups: groups ?? [] };
  }

  async groups(): Promise<unknown> {
    const masters = await this.admin.masters();
    const names = new Set<string>();
    const configs = new Map<string, unknown>();
    for (const m of masters) {
      for (const [name, cfg] of Object.entries((await settle(this.admin.subscriptionGroups(m.addr))) ?? {})) { names.add(name); configs.set(name, cfg); }
    }
    const list = [...names].sort().slice(0, LIST_DETAIL_MAX);
    return Promise.all(list.map(async (g) => {
      const [cs, conn] = await Promise.all([settle(this.admin.consumeStats(g)), settle(this.admin.consumerConnection(g))]);
      const system = /^(TOOLS_CONSUMER|FILTERSRV_CONSUMER|SELF_TEST_C_GROUP|CID_ONS-HTTP-PROXY|CID_ONSAPI_.*|CID_RMQ_SYS_.*|CID_SYS_RMQ_.*|__MONITOR_CONSUMER)$/.test(g);
      return {
        group: g, system, online: conn?.connections.length ?? 0, messageModel: conn?.messageModel ?? null, consumeType: conn?.consumeType ?? null,
        topics: [...new Set((cs?.queues ?? []).map((q) => q.topic).filter((t) => !isRetryTopic(t)))], diff: cs?.diff ?? 0, consumeTps: cs?.consumeTps ?? 0,
        config: configs.get(g) ?? null,
      };
    }));
  }

  async group(group: string): Promise<unknown> {
    const [cs, conn] = await Promise.all([this.admin.consumeStats(group), settle(this.admin.consumerConnection(group))]);
    const holders = new Map<string, string>();
    for (const c of conn?.connections ?? []) {
      const info = await settle(this.admin.consumerRunningInfo(group, c.clientId));
      for (const q of info?.queues ?? []) holders.set(`${q.topic}|${q.brokerName}|${q.queueId}`, c.clientId);
    }
    return {
      group, diff: cs.diff, consumeTps: cs.consumeTps, connection: conn,
      queues: cs.queues.map((q) => ({ ...q, client: holders.get(`${q.topic}|${q.brokerName}|${q.queueId}`) ?? null })),
    };
  }

  async messages(q: URLSearchParams): Promise<unknown> {
    const topic = str(q, 'topic');
    const max = Math.min(int(q.get('max'), 'max', 64), 256);
    let list: MessageExt[];
    if (q.get('msgId')) list = await this.admin.findMessage(topic, str(q, 'msgId'));
    else if (q.get('key')) list = await this.admin.queryMessageByKey(topic, str(q, 'key'), max);
    else if (q.get('queueId') !== null && q.get('offset') !== null) {
      const m = await this.admin.queryMessageByOffset(topic, str(q, 'brokerName'), int(q.get('queueId'), 'queueId'), int(q.get('offset'), 'offset'));
      list = m ? [m] : [];
    } else {
      const end = int(q.get('end'), 'end', Date.now() + 1000);
      const begin = int(q.get('begin'), 'begin', end - 3_600_000);
      list = await this.admin.queryMessageByTime(topic, begin, end, { maxNum: max });
    }
    return list.map(messageView);
  }

  async message(topic: string, msgId: string): Promise<unknown> {
    const list = await this.admin.findMessage(topic, msgId);
    const m = list[0];
    if (!m) throw new HttpError(404, `no message ${msgId}${topic ? ` in ${topic}` : ''}`);
    const groups = (await settle(this.admin.topicConsumedBy(m.topic))) ?? [];
    const consumption = await Promise.all(groups.map(async (g) => {
      const cs = await settle(this.admin.consumeStats(g, m.topic));
      const q = cs?.queues.find((x) => x.brokerName === m.brokerName && x.queueId === m.queueId);
      const conn = await settle(this.admin.consumerConnection(g));
      return { group: g, consumed: q ? q.consumerOffset > m.queueOffset : false, consumerOffset: q?.consumerOffset ?? null, clients: (conn?.connections ?? []).map((c) => c.clientId) };
    }));
    return { message: messageView(m), consumption };
  }

  /**
   * DLQ resend: a copy of a dead-lettered message (body, tags, keys, user properties) sent again to
   * the topic it came from (its RETRY_TOPIC property), where its group consumes it as new.
   */
  async requeue(topic: string, msgId: string): Promise<unknown> {
    if (!isDlqTopic(topic)) throw new HttpError(400, 'requeue takes a message of a %DLQ% topic');
    const m = (await this.admin.findMessage(topic, msgId))[0];
    if (!m) throw new HttpError(404, `no message ${msgId} in ${topic}`);
    const target = m.properties['RETRY_TOPIC'] ?? m.properties['REAL_TOPIC'];
    if (!target || isRetryTopic(target) || isDlqTopic(target)) throw new HttpError(400, 'the message does not say which topic it came from (no RETRY_TOPIC property)');
    const reserved = new Set(['TAGS', 'KEYS', 'DELAY', 'WAIT', 'RETRY_TOPIC', 'REAL_TOPIC', 'REAL_QID', 'TRAN_MSG', 'PGROUP', 'MIN_OFFSET', 'MAX_OFFSET',
      'ORIGIN_MESSAGE_ID', 'RECONSUME_TIME', 'MAX_RECONSUME_TIMES', 'UNIQ_KEY', 'CONSUME_START_TIME', 'CLUSTER']);
    const properties: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.properties)) if (!reserved.has(k)) properties[k] = v;
    properties['DLQ_ORIGIN_MSG_ID'] = m.properties['ORIGIN_MESSAGE_ID'] ?? m.offsetMsgId;
    const msg: { topic: string; body: Buffer; tags?: string; keys?: string; properties: Record<string, string> } = { topic: target, body: m.body, properties };
    if (m.tags) msg.tags = m.tags;
    if (m.keys) msg.keys = m.keys;
    return { ok: true, topic: target, result: await this.admin.sendMessage(msg) };
  }

  async connections(producerGroup: string, topic: string): Promise<unknown> {
    const groups = (await this.groups()) as Array<{ group: string; online: number }>;
    const consumers = [];
    for (const g of groups.filter((x) => x.online > 0)) {
      const c = await settle(this.admin.consumerConnection(g.group));
      for (const x of c?.connections ?? []) consumers.push({ group: g.group, ...x, messageModel: c!.messageModel, consumeType: c!.consumeType });
    }
    const producers = producerGroup ? (await settle(this.admin.producerConnection(producerGroup, topic || undefined))) ?? [] : [];
    return { consumers, producers: producers.map((p) => ({ group: producerGroup, ...p })) };
  }

  /** One sample of every broker's put/get totals; rates from the previous sample. */
  async sampleRates(): Promise<RatesFrame> {
    const now = Date.now();
    const info = await this.admin.clusterInfo();
    const targets: Array<{ cluster: string; brokerName: string; brokerId: number; addr: string }> = [];
    for (const [cluster, names] of Object.entries(info.clusters)) {
      for (const name of names) {
        for (const [id, addr] of Object.entries(info.brokers[name]?.brokerAddrs ?? {})) targets.push({ cluster, brokerName: name, brokerId: Number(id), addr });
      }
    }
    const brokers = await Promise.all(targets.map(async (b) => {
      const rt = await settle(this.admin.brokerRuntimeInfo(b.addr));
      const put = Number(rt?.['msgPutTotalTodayNow'] ?? 0), get = Number(rt?.['msgGetTotalTodayNow'] ?? 0);
      const prev = this.lastSample.get(b.addr);
      let putTps = 0, getTps = 0;
      if (prev && rt && now > prev.t) {
        putTps = Math.max(0, ((put - prev.put) * 1000) / (now - prev.t));
        getTps = Math.max(0, ((get - prev.get) * 1000) / (now - prev.t));
      }
      if (rt) this.lastSample.set(b.addr, { t: now, put, get });
      return { ...b, putTps, getTps, putTotal: put, getTotal: get, up: rt !== null };
    }));
    brokers.sort((a, b) => (a.brokerName === b.brokerName ? a.brokerId - b.brokerId : a.brokerName < b.brokerName ? -1 : 1));
    this.lastFrame = { t: now, brokers };
    return this.lastFrame;
  }
}
