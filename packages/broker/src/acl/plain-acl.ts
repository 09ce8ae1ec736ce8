// ACL 1.0 as Apache RocketMQ 4.9 does it (PlainAccessValidator / PlainPermissionManager): the
// resources and permissions a request needs, parsed from its code and header, checked against the
// accounts of plain_acl.yml. Global white addresses pass without a key; an account's own white
// address skips the signature check; otherwise the signature must match and every resource must be
// allowed by the account's topicPerms/groupPerms or its defaults. Groups are checked as their retry
// topic (%RETRY%group), as Apache does. Admin request codes need admin: true.
import {
  ACL_ACCESS_KEY, ACL_SIGNATURE, aclSignature, arrayOf, asObject, asString, optField, parseFastJson, type RemotingCommand,
} from '@rmq/remoting';
import { parseYaml, YamlError, type YamlValue } from './yaml.js';

export const Perm = { DENY: 1, ANY: 2, PUB: 4, SUB: 8 } as const;
const RETRY_PREFIX = '%RETRY%';
/** MixAll.UNIQUE_MSG_QUERY_FLAG: 4.9.3 and older clients do not sign it, so the broker leaves it out. */
const UNIQUE_MSG_QUERY_FLAG = '_UNIQUE_KEY_QUERY';
/** Permission.ADMIN_CODE: UPDATE_AND_CREATE_TOPIC, UPDATE_BROKER_CONFIG, DELETE_TOPIC_IN_BROKER, UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, DELETE_SUBSCRIPTIONGROUP. */
export const ADMIN_CODES: ReadonlySet<number> = new Set([17, 25, 215, 200, 207]);

export class AclError extends Error {}

export function parsePerm(s: string | null | undefined): number {
  switch ((s ?? '').trim()) {
    case 'PUB': return Perm.PUB;
    case 'SUB': return Perm.SUB;
    case 'PUB|SUB': case 'SUB|PUB': return Perm.PUB | Perm.SUB;
    default: return Perm.DENY; // DENY, missing or unknown
  }
}

export function checkPerm(needed: number, owned: number): boolean {
  if ((owned & Perm.DENY) !== 0) return false;
  if ((needed & Perm.ANY) !== 0) return (owned & (Perm.PUB | Perm.SUB)) !== 0;
  return (needed & owned) !== 0;
}

const permName = (p: number): string => (p === (Perm.PUB | Perm.SUB) ? 'PUB|SUB' : p === Perm.PUB ? 'PUB' : p === Perm.SUB ? 'SUB' : p === Perm.ANY ? 'PUB or SUB' : 'DENY');
const isRetry = (r: string): boolean => r.startsWith(RETRY_PREFIX);
const retryTopic = (group: string | undefined): string | undefined => (group === undefined ? undefined : RETRY_PREFIX + group);
const printResource = (r: string): string => (isRetry(r) ? `group ${r.slice(RETRY_PREFIX.length)}` : `topic ${r}`);

// ---------------------------------------------------------------- remote address strategies

type AddrMatcher = (ip: string) => boolean;

/** Apache's RemoteAddressStrategyFactory formats: "*", "1.2.3.4", "1.2.3.*", "1.2.3.{1,5}", "1.2.3-9.*", comma lists. */
export function addressMatcher(spec: string | null | undefined): AddrMatcher {
  const s = (spec ?? '').trim();
  if (s === '') return () => false;
  if (s === '*' || s === '*.*.*.*') return () => true;
  if (s.includes(',') && !s.includes('{')) {
    const ms = s.split(',').map((p) => addressMatcher(p));
    return (ip) => ms.some((m) => m(ip));
  }
  const parts = s.split('.');
  if (parts.length !== 4) throw new AclError(`unsupported white address "${s}" (IPv4 patterns only)`);
  const seg = parts.map((p): ((n: number) => boolean) => {
    if (p === '*') return () => true;
    const set = /^\{([\d,\s]+)\}$/.exec(p);
    if (set) { const vs = new Set(set[1]!.split(',').map((x) => Number(x.trim()))); return (n) => vs.has(n); }
    const range = /^(\d{1,3})-(\d{1,3})$/.exec(p);
    if (range) { const a = Number(range[1]), b = Number(range[2]); return (n) => n >= a && n <= b; }
    if (/^\d{1,3}$/.test(p) && Number(p) <= 255) { const v = Number(p); return (n) => n === v; }
    throw new AclError(`unsupported white address "${s}"`);
  });
  return (ip) => {
    const o = ip.split('.');
    if (o.length !== 4) return false;
    for (let i = 0; i < 4; i++) if (!/^\d{1,3}$/.test(o[i]!) || !seg[i]!(Number(o[i]))) return false;
    return true;
  };
}

// ---------------------------------------------------------------- configuration

export interface AclAccount {
  accessKey: string;
  secretKey: string;
  white: AddrMatcher;
  admin: boolean;
  defaultTopicPerm: number;
  defaultGroupPerm: number;
  /** topic name or %RETRY%group -> perm */
  perms: Map<string, number>;
  hasPerms: boolean;
}

export interface AclConfig {
  globalWhite: AddrMatcher[];
  accounts: Map<string, AclAccount>;
}

const str = (v: YamlValue | undefined): string | null => (typeof v === 'string' ? v : null);
const list = (v: YamlValue | undefined, what: string): string[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new AclError(`${what} must be a list`);
  return v.map((x) => { if (typeof x !== 'string') throw new AclError(`${what}: each entry must be a string`); return x; });
};

/** Parses plain_acl.yml text; throws AclError/YamlError with the reason. */
export function parseAclConfig(text: string): AclConfig {
  const doc = parseYaml(text);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new AclError('plain_acl.yml holds no data');
  const globalWhite = list(doc['globalWhiteRemoteAddresses'], 'globalWhiteRemoteAddresses').map((a) => addressMatcher(a));
  const accounts = new Map<string, AclAccount>();
  const accs = doc['accounts'];
  if (accs !== undefined && accs !== null && !Array.isArray(accs)) throw new AclError('accounts must be a list');
  for (const a of (accs ?? []) as YamlValue[]) {
    if (a === null || typeof a !== 'object' || Array.isArray(a)) throw new AclError('each account must be a mapping');
    const accessKey = str(a['accessKey']), secretKey = str(a['secretKey']);
    if (accessKey === null || secretKey === null || accessKey.length <= 6 || secretKey.length <= 6) {
      throw new AclError(`The accessKey=${accessKey} and secretKey=${secretKey === null ? null : '***'} cannot be null and length should longer than 6`);
    }
    const perms = new Map<string, number>();
    for (const [key, isTopic] of [['groupPerms', false], ['topicPerms', true]] as const) {
      for (const entry of list(a[key], key)) {
        const items = entry.split('=').filter((x) => x !== '');
        if (items.length !== 2) throw new AclError(`Parse resource permission failed for ${isTopic ? 'topic' : 'group'}:${entry}`);
        perms.set(isTopic ? items[0]!.trim() : RETRY_PREFIX + items[0]!.trim(), parsePerm(items[1]));
      }
    }
    accounts.set(accessKey, {
      accessKey, secretKey, white: addressMatcher(str(a['whiteRemoteAddress'])), admin: str(a['admin']) === 'true',
      defaultTopicPerm: parsePerm(str(a['defaultTopicPerm'])), defaultGroupPerm: parsePerm(str(a['defaultGroupPerm'])),
      perms, hasPerms: perms.size > 0,
    });
  }
  return { globalWhite, accounts };
}

// ---------------------------------------------------------------- requests

const HB = 'heartbeat body';

/** Each consumer group of a heartbeat body with its subscribed topics; AclError when it is not one. */
function heartbeatConsumers(body: Buffer): Array<{ group: string | undefined; topics: Array<string | undefined> }> {
  let parsed: unknown;
  try { parsed = parseFastJson(body.toString('utf8')); } catch (e) { throw new AclError(`heartbeat body does not parse: ${(e as Error).message}`); }
  try {
    const consumers = optField(asObject(parsed, HB), 'consumerDataSet', arrayOf(asObject), HB) ?? [];
    return consumers.map((c, i) => {
      const what = `${HB}.consumerDataSet[${i}]`;
      const subs = optField(c, 'subscriptionDataSet', arrayOf(asObject), what) ?? [];
      return { group: optField(c, 'groupName', asString, what), topics: subs.map((sd, j) => optField(sd, 'topic', asString, `${what}.subscriptionDataSet[${j}]`)) };
    });
  } catch (e) {
    throw new AclError(`heartbeat body is illegal: ${(e as Error).message}`);
  }
}

/** The resources (topic or %RETRY%group) one request needs, with the permission, per Apache 4.9's parse. */
export function neededResources(req: RemotingCommand): Map<string, number> | null {
  const ext = req.extFields;
  if (ext === null) return null;
  const out = new Map<string, number>();
  const add = (r: string | undefined, p: number): void => { if (r !== undefined) out.set(r, p); };
  switch (req.code) {
    case 10: { // SEND_MESSAGE
      const topic = ext['topic'];
      if (topic !== undefined && isRetry(topic)) add(retryTopic(ext['group']), Perm.SUB); else add(topic, Perm.PUB);
      break;
    }
    case 310: case 320: { // SEND_MESSAGE_V2, SEND_BATCH_MESSAGE
      const topic = ext['b'];
      if (topic !== undefined && isRetry(topic)) add(retryTopic(ext['a']), Perm.SUB); else add(topic, Perm.PUB);
      break;
    }
    case 36: add(retryTopic(ext['group']), Perm.SUB); break; // CONSUMER_SEND_MSG_BACK
    case 11: add(ext['topic'], Perm.SUB); add(retryTopic(ext['consumerGroup']), Perm.SUB); break; // PULL_MESSAGE
    case 12: add(ext['topic'], Perm.SUB); break; // QUERY_MESSAGE
    case 34: { // HEART_BEAT: every consumer group and subscribed topic in the body
      const body = req.bodyBuffer();
      if (body === null) break;
      for (const c of heartbeatConsumers(body)) {
        add(retryTopic(c.group), Perm.SUB);
        for (const t of c.topics) add(t, Perm.SUB);
      }
      break;
    }
    case 35: case 38: add(retryTopic(ext['consumerGroup']), Perm.SUB); break; // UNREGISTER_CLIENT, GET_CONSUMER_LIST_BY_GROUP
    case 15: add(retryTopic(ext['consumerGroup']), Perm.SUB); add(ext['topic'], Perm.SUB); break; // UPDATE_CONSUMER_OFFSET
    default: break;
  }
  return out;
}

/** The remote IP of "ip:port" / "[v6]:port". */
export function remoteIp(addr: string): string {
  const i = addr.lastIndexOf(':');
  const host = i > 0 ? addr.slice(0, i) : addr;
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Throws AclError naming what is missing; returns normally when the request may go on. */
export function validate(cfg: AclConfig, req: RemotingCommand, remoteAddr: string): void {
  const ip = remoteIp(remoteAddr);
  for (const m of cfg.globalWhite) if (m(ip)) return;
  const accessKey = req.ext(ACL_ACCESS_KEY);
  if (accessKey === undefined) throw new AclError('No accessKey is configured');
  const acct = cfg.accounts.get(accessKey);
  if (acct === undefined) throw new AclError(`No acl config for ${accessKey}`);
  if (acct.white(ip)) return;
  const signature = req.ext(ACL_SIGNATURE);
  if (signature === undefined
    || (aclSignature(req.extFields, req.body, acct.secretKey, UNIQUE_MSG_QUERY_FLAG) !== signature
      && aclSignature(req.extFields, req.body, acct.secretKey) !== signature)) {
    throw new AclError(`Check signature failed for accessKey=${accessKey}`);
  }
  if (ADMIN_CODES.has(req.code) && !acct.admin) {
    throw new AclError(`Need admin permission for request code=${req.code}, but accessKey=${accessKey} is not admin`);
  }
  const needed = neededResources(req);
  if (needed === null || needed.size === 0) return;
  if (!acct.hasPerms && acct.admin) return;
  for (const [resource, perm] of needed) {
    const owned = acct.perms.get(resource) ?? (isRetry(resource) ? acct.defaultGroupPerm : acct.defaultTopicPerm);
    if (!checkPerm(perm, owned)) {
      throw new AclError(`No permission for ${printResource(resource)}: needs ${permName(perm)}, accessKey=${accessKey} has ${permName(owned)}`);
    }
  }
}

export { YamlError };
