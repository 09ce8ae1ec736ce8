// Subscription groups: UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200), DELETE_SUBSCRIPTIONGROUP (207).
import {
  asBoolean, asNumeric, asObject, asString, optField, parseFastJson, type JsonObject, type SubscriptionGroupConfig,
} from '@rmq/remoting';
import { optBool, reqStr } from '../../common/header.js';
import { Handler, ok, slaveRefusal } from './common.js';

// ---------------------------------------------------------------- 200, 207: subscription groups

const GROUP_BODY = 'subscription group body';

/** A SubscriptionGroupConfig body over the defaults; a field of the wrong type throws JsonDecodeError. */
function decodeGroupConfig(raw: JsonObject, base: SubscriptionGroupConfig): SubscriptionGroupConfig {
  const bool = (k: 'consumeEnable' | 'consumeFromMinEnable' | 'consumeBroadcastEnable' | 'notifyConsumerIdsChangedEnable'): boolean =>
    optField(raw, k, asBoolean, GROUP_BODY) ?? base[k];
  const num = (k: 'retryQueueNums' | 'retryMaxTimes' | 'brokerId' | 'whichBrokerWhenConsumeSlowly'): number =>
    optField(raw, k, asNumeric, GROUP_BODY) ?? base[k];
  return {
    groupName: base.groupName,
    consumeEnable: bool('consumeEnable'),
    consumeFromMinEnable: bool('consumeFromMinEnable'),
    consumeBroadcastEnable: bool('consumeBroadcastEnable'),
    retryQueueNums: num('retryQueueNums'),
    retryMaxTimes: num('retryMaxTimes'),
    brokerId: num('brokerId'),
    whichBrokerWhenConsumeSlowly: num('whichBrokerWhenConsumeSlowly'),
    notifyConsumerIdsChangedEnable: bool('notifyConsumerIdsChangedEnable'),
  };
}

export const updateAndCreateSubscriptionGroup: Handler = (ctx, req) => {
  const refused = slaveRefusal(ctx);
  if (refused) return refused;
  const body = req.bodyBuffer();
  if (body !== null && body.length > 0) {
    const parsed = parseFastJson(body.toString('utf8'));
    // a "null" body is no config, as Apache's decode gives null and the reply is still SUCCESS
    const raw = parsed === null ? null : asObject(parsed, GROUP_BODY);
    const groupName = raw && optField(raw, 'groupName', asString, GROUP_BODY);
    if (raw && groupName) {
      const m = ctx.subscriptionGroupManager;
      m.updateSubscriptionGroupConfig(decodeGroupConfig(raw, m.newConfig(groupName)));
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
