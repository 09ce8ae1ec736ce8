// Broker config: UPDATE_BROKER_CONFIG (25), GET_BROKER_CONFIG (26); the extra keys and DataVersion live in
// ctx.configState.
import { parseJavaProperties, RemotingCommand, ResponseCode } from '@rmq/remoting';
import { CONFIG_BLACK_LIST, Handler, fail, ok } from './common.js';

// ---------------------------------------------------------------- 25, 26: broker config

/** Sets `key` on whichever config object has it, converting by the current value's type. */
export function applyConfigValue(target: Record<string, unknown>, key: string, value: string): 'set' | 'absent' | 'invalid' {
  if (!Object.prototype.hasOwnProperty.call(target, key)) return 'absent';
  const cur = target[key];
  if (typeof cur === 'number') {
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isFinite(n)) return 'invalid';
    target[key] = n;
  } else if (typeof cur === 'boolean') {
    target[key] = value.trim().toLowerCase() === 'true';
  } else if (typeof cur === 'string') {
    target[key] = value;
  } else {
    return 'invalid';
  }
  return 'set';
}

export const updateBrokerConfig: Handler = (ctx, req) => {
  const body = req.bodyBuffer();
  if (body === null || body.length === 0) return ok();
  const props = new Map(parseJavaProperties(body.toString('utf8')));
  for (const key of props.keys()) {
    if (CONFIG_BLACK_LIST.has(key)) return fail(ResponseCode.NO_PERMISSION, 'Can not update config in black list.');
  }
  const state = ctx.configState;
  ctx.logger.info(`updateBrokerConfig, new config: [${[...props].map(([k, v]) => `${k}=${v}`).join(', ')}]`);
  for (const [key, value] of props) {
    const targets = [ctx.config as unknown as Record<string, unknown>, ctx.storeConfig as unknown as Record<string, unknown>];
    const results = targets.map((t) => applyConfigValue(t, key, value));
    if (results.includes('invalid')) ctx.logger.warn(`updateBrokerConfig: bad value for ${key}: ${value}`);
    if (results.every((r) => r === 'absent')) state.extra.set(key, value);
  }
  state.dataVersion.next();
  if (props.has('brokerPermission')) {
    ctx.topicConfigManager.dataVersion.next();
    ctx.registerBrokerAll(false).catch((e: Error) => ctx.logger.warn(`register after brokerPermission change failed: ${e.message}`));
  }
  return ok();
};

export function configText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export const getBrokerConfig: Handler = (ctx) => {
  const state = ctx.configState;
  const lines: string[] = [];
  const seen = new Set<string>();
  const add = (k: string, v: unknown): void => {
    if (seen.has(k)) return;
    seen.add(k);
    lines.push(`${k}=${k === 'adminHttpToken' && v ? '******' : configText(v)}`); // the dashboard token is not handed out
  };
  for (const [k, v] of Object.entries(ctx.config)) add(k, v);
  for (const [k, v] of Object.entries(ctx.storeConfig)) add(k, v);
  for (const [k, v] of state.extra) add(k, v);
  const body = Buffer.from(lines.join('\n') + '\n', 'utf8');
  return RemotingCommand.response(ResponseCode.SUCCESS, null, { version: JSON.stringify(state.dataVersion.toJSON()) }, body);
};
