// One function per name-server request code; `namesrvProcessors` at the bottom maps each code to
// its handler. Handlers answer like the 4.x name server: same codes, remarks, ext fields, bodies.
import { parseFastJson, RemotingCommand, RequestCode, ResponseCode, type Channel, type Logger } from '@rmq/remoting';
import {
  convertValue, formatProperties, namesrvConfigReadOnlyKeys, parseProperties, type NamesrvConfig,
} from './config.js';
import { NAMESPACE_ORDER_TOPIC_CONFIG, type KvConfigManager } from './kv-config-manager.js';
import type { RouteInfoManager, UnitTopicKind } from './route-info-manager.js';
import {
  bodyCrc32, decodeCompressedRegisterBrokerBody, decodeDataVersion, decodeRegisterBrokerBody, encodeClusterInfo,
  encodeDataVersion, encodeKvTable, encodeTopicList, encodeTopicRouteData,
} from './wire.js';

const { SUCCESS, SYSTEM_ERROR, NO_PERMISSION, TOPIC_NOT_EXIST, QUERY_NOT_FOUND } = ResponseCode;

/** MQVersion ordinal from which clients get the route in standard JSON. */
const STANDARD_JSON_ROUTE_VERSION = 401;

export interface NamesrvContext {
  readonly routes: RouteInfoManager;
  readonly kv: KvConfigManager;
  readonly config: NamesrvConfig;
  readonly logger: Logger;
  /** Called after UPDATE_NAMESRV_CONFIG changed the config object in place. */
  onConfigUpdated(changedKeys: string[]): void;
}

export type NamesrvHandler = (ctx: NamesrvContext, req: RemotingCommand, ch: Channel) => RemotingCommand;

/** A header field the request must carry; a missing one fails the request like Apache's decoder. */
function field(req: RemotingCommand, name: string): string {
  const v = req.extFields?.[name];
  if (v === undefined || v === null) throw new Error(`the custom field <${name}> is null`);
  return String(v);
}

function optionalField(req: RemotingCommand, name: string): string | null {
  const v = req.extFields?.[name];
  return v === undefined || v === null ? null : String(v);
}

function intField(req: RemotingCommand, name: string): number {
  const raw = field(req, name);
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`the custom field <${name}> is not a number: ${raw}`);
  return n;
}

function bodyOf(req: RemotingCommand): Buffer | null {
  const b = req.body;
  if (b === null) return null;
  return Array.isArray(b) ? Buffer.concat(b) : b;
}

const ok = (body: Buffer | null = null, ext: Record<string, string> | null = null) =>
  RemotingCommand.response(SUCCESS, null, ext, body);

// ---- KV config (100, 101, 102, 219) ----

export function putKvConfig(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const namespace = optionalField(req, 'namespace');
  const key = optionalField(req, 'key');
  if (namespace === null || key === null) return RemotingCommand.response(SYSTEM_ERROR, 'namespace or key is null');
  ctx.kv.put(namespace, key, field(req, 'value'));
  return ok();
}

export function getKvConfig(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const namespace = field(req, 'namespace');
  const key = field(req, 'key');
  const value = ctx.kv.get(namespace, key);
  if (value === null) {
    return RemotingCommand.response(QUERY_NOT_FOUND, `No config item, Namespace: ${namespace} Key: ${key}`);
  }
  return ok(null, { value });
}

export function deleteKvConfig(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  ctx.kv.delete(field(req, 'namespace'), field(req, 'key'));
  return ok();
}

export function getKvListByNamespace(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const namespace = field(req, 'namespace');
  const table = ctx.kv.list(namespace);
  if (!table) return RemotingCommand.response(QUERY_NOT_FOUND, `No config item, Namespace: ${namespace}`);
  return ok(encodeKvTable(table));
}

// ---- broker registration (103, 104, 322) ----

export function registerBroker(ctx: NamesrvContext, req: RemotingCommand, ch: Channel): RemotingCommand {
  const body = bodyOf(req);
  const expectedCrc = Number(optionalField(req, 'bodyCrc32') ?? 0);
  if (expectedCrc !== 0 && body && bodyCrc32(body) !== expectedCrc) {
    return RemotingCommand.response(SYSTEM_ERROR, 'crc32 not match');
  }
  const decoded = optionalField(req, 'compressed') === 'true' && body && body.length > 0
    ? decodeCompressedRegisterBrokerBody(body)
    : decodeRegisterBrokerBody(body);
  const brokerAddr = field(req, 'brokerAddr');
  const brokerName = field(req, 'brokerName');
  const brokerId = intField(req, 'brokerId');
  const clusterName = field(req, 'clusterName');
  if (!ctx.routes.isBrokerLive(brokerAddr)) {
    ctx.logger.info(`broker registered: ${brokerName} id ${brokerId} at ${brokerAddr} (cluster ${clusterName},`
      + ` ${decoded.topicConfigs.length} topics, connection ${ch.remoteAddress})`);
  }
  const result = ctx.routes.registerBroker({
    clusterName,
    brokerAddr,
    brokerName,
    brokerId,
    haServerAddr: optionalField(req, 'haServerAddr') ?? '',
    dataVersion: decoded.dataVersion,
    topicConfigs: decoded.topicConfigs,
    filterServerList: decoded.filterServerList,
    channel: ch,
  });
  const ext: Record<string, string> = {};
  if (result.haServerAddr !== null) ext.haServerAddr = result.haServerAddr;
  if (result.masterAddr !== null) ext.masterAddr = result.masterAddr;
  const orderConf = ctx.kv.list(NAMESPACE_ORDER_TOPIC_CONFIG);
  return ok(orderConf ? encodeKvTable(orderConf) : null, ext);
}

export function unregisterBroker(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const brokerAddr = field(req, 'brokerAddr');
  ctx.routes.unregisterBroker(field(req, 'clusterName'), brokerAddr, field(req, 'brokerName'), intField(req, 'brokerId'));
  ctx.logger.info(`broker unregistered: ${brokerAddr}`);
  return ok();
}

export function queryDataVersion(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const brokerAddr = field(req, 'brokerAddr');
  const body = bodyOf(req);
  const dv = decodeDataVersion(body && body.length > 0 ? parseFastJson(body.toString('utf8')) : null);
  const changed = ctx.routes.isBrokerTopicConfigChanged(brokerAddr, dv);
  ctx.routes.updateBrokerInfoUpdateTimestamp(brokerAddr);
  const known = ctx.routes.queryBrokerDataVersion(brokerAddr);
  return ok(known ? encodeDataVersion(known) : null, { changed: String(changed) });
}

// ---- routes and topic lists (105, 106, 206, 216, 224, 304, 311-313) ----

export function getRouteInfoByTopic(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const topic = field(req, 'topic');
  const route = ctx.routes.pickupTopicRouteData(topic);
  if (!route) {
    return RemotingCommand.response(TOPIC_NOT_EXIST, `No topic route info in name server for the topic: ${topic}\n`
      + 'See http://rocketmq.apache.org/docs/faq/ for further details.');
  }
  const orderTopicConf = ctx.kv.get(NAMESPACE_ORDER_TOPIC_CONFIG, topic);
  const standard = req.version >= STANDARD_JSON_ROUTE_VERSION || optionalField(req, 'acceptStandardJsonOnly') === 'true';
  return ok(encodeTopicRouteData(route, orderTopicConf, standard));
}

export function getBrokerClusterInfo(ctx: NamesrvContext): RemotingCommand {
  return ok(encodeClusterInfo(ctx.routes.clusterInfo()));
}

export function getAllTopicListFromNameserver(ctx: NamesrvContext): RemotingCommand {
  return ok(encodeTopicList(ctx.routes.allTopics()));
}

export function deleteTopicInNamesrv(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  ctx.routes.deleteTopic(field(req, 'topic'), optionalField(req, 'clusterName'));
  return ok();
}

export function getTopicsByCluster(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  return ok(encodeTopicList(ctx.routes.topicsByCluster(field(req, 'cluster'))));
}

export function getSystemTopicListFromNs(ctx: NamesrvContext): RemotingCommand {
  const { topics, brokerAddr } = ctx.routes.systemTopicList();
  return ok(encodeTopicList(topics, brokerAddr));
}

const unitTopicList = (kind: UnitTopicKind): NamesrvHandler => (ctx) => ok(encodeTopicList(ctx.routes.unitTopics(kind)));
export const getUnitTopicList = unitTopicList('unit');
export const getHasUnitSubTopicList = unitTopicList('hasUnitSub');
export const getHasUnitSubUnunitTopicList = unitTopicList('hasUnitSubUnUnit');

// ---- write permission (205, 327) ----

export function wipeWritePermOfBroker(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const count = ctx.routes.wipeWritePermOfBroker(field(req, 'brokerName'));
  return ok(null, { wipeTopicCount: String(count) });
}

export function addWritePermOfBroker(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const count = ctx.routes.addWritePermOfBroker(field(req, 'brokerName'));
  return ok(null, { addTopicCount: String(count) });
}

// ---- name-server config (318, 319) ----

export function updateNamesrvConfig(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const body = bodyOf(req);
  if (!body || body.length === 0) return ok();
  const pairs = parseProperties(body.toString('utf8'));
  if (pairs.some(([k]) => namesrvConfigReadOnlyKeys.has(k))) {
    return RemotingCommand.response(NO_PERMISSION, 'Can not update config in black list.');
  }
  const config = ctx.config as unknown as Record<string, unknown>;
  const updates: Array<[string, unknown]> = [];
  for (const [k, raw] of pairs) {
    if (!(k in config)) continue; // like Apache: keys it does not know are ignored
    try {
      updates.push([k, convertValue(k, raw, config[k])]);
    } catch (e) {
      return RemotingCommand.response(SYSTEM_ERROR, (e as Error).message);
    }
  }
  for (const [k, v] of updates) config[k] = v;
  if (updates.length > 0) ctx.onConfigUpdated(updates.map(([k]) => k));
  return ok();
}

export function getNamesrvConfig(ctx: NamesrvContext): RemotingCommand {
  return ok(Buffer.from(formatProperties({ ...ctx.config, adminHttpToken: ctx.config.adminHttpToken ? '******' : '' }), 'utf8'));
}

/** A handler table keyed by RequestCode names, as the code -> handler map the controller registers. */
function byRequestCode<K extends keyof typeof RequestCode>(handlers: Record<K, NamesrvHandler>): Map<number, NamesrvHandler> {
  const out = new Map<number, NamesrvHandler>();
  for (const name in handlers) out.set(RequestCode[name], handlers[name]);
  return out;
}

/** Request code -> handler, every code the name server answers. Others get REQUEST_CODE_NOT_SUPPORTED. */
export const namesrvProcessors: ReadonlyMap<number, NamesrvHandler> = byRequestCode({
  PUT_KV_CONFIG: putKvConfig,
  GET_KV_CONFIG: getKvConfig,
  DELETE_KV_CONFIG: deleteKvConfig,
  REGISTER_BROKER: registerBroker,
  UNREGISTER_BROKER: unregisterBroker,
  GET_ROUTEINFO_BY_TOPIC: getRouteInfoByTopic,
  GET_BROKER_CLUSTER_INFO: getBrokerClusterInfo,
  WIPE_WRITE_PERM_OF_BROKER: wipeWritePermOfBroker,
  GET_ALL_TOPIC_LIST_FROM_NAMESERVER: getAllTopicListFromNameserver,
  DELETE_TOPIC_IN_NAMESRV: deleteTopicInNamesrv,
  GET_KVLIST_BY_NAMESPACE: getKvListByNamespace,
  GET_TOPICS_BY_CLUSTER: getTopicsByCluster,
  GET_SYSTEM_TOPIC_LIST_FROM_NS: getSystemTopicListFromNs,
  GET_UNIT_TOPIC_LIST: getUnitTopicList,
  GET_HAS_UNIT_SUB_TOPIC_LIST: getHasUnitSubTopicList,
  GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST: getHasUnitSubUnunitTopicList,
  UPDATE_NAMESRV_CONFIG: updateNamesrvConfig,
  GET_NAMESRV_CONFIG: getNamesrvConfig,
  QUERY_DATA_VERSION: queryDataVersion,
  ADD_WRITE_PERM_OF_BROKER: addWritePermOfBroker,
});
