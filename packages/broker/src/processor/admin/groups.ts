// Subscription groups: UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200), DELETE_SUBSCRIPTIONGROUP (207).
import { parseFastJson } from '@rmq/remoting';
import { optBool, reqStr } from '../../common/header.js';
import { Handler, ok, slaveRefusal } from './common.js';

// ---------------------------------------------------------------- 200, 207: subscription groups

export const updateAndCreateSubscriptionGroup: Handler = (ctx, req) => {
  const refused = slaveRefusal(ctx);
  if (refused) return refused;
  const body = req.bodyBuffer();
  if (body !== null && body.length > 0) {
    const raw = parseFastJson(body.toString('utf8')) as Record<string, unknown> | null;
    if (raw && typeof raw.groupName === 'string' && raw.groupName !== '') {
      const m = ctx.subscriptionGroupManager;
      const base = m.newConfig(raw.groupName);
      const merged = { ...base } as unknown as Record<string, unknown>;
      for (const k of Object.keys(base)) {
        if (raw[k] !== undefined && raw[k] !== null && typeof raw[k] === typeof merged[k]) merged[k] = raw[k];
      }
      m.updateSubscriptionGroupConfig(merged as unknown as typeof base);
    }
  }
  return ok();
};

export const deleteSubscriptionGroup: Handler = (ctx, req) => {
  const refused = slaveRefusal(ctx);
  if (refused) return refused;
  const group = reqStr(req.extFields, 'groupName');
  ctx.subscriptionGroupManager.deleteSubscriptionGroupConfig(group);
  if (optBool(req.extFields, 'removeOffset') === true) ctx.consumerOffsetManager.removeGroup(group);
  return ok();
};
