// Whole metadata tables: GET_ALL_TOPIC_CONFIG (21), GET_ALL_CONSUMER_OFFSET (43), GET_ALL_DELAY_OFFSET (45),
// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201).
import { RemotingCommand, ResponseCode } from '@rmq/remoting';
import { Handler, ok } from './common.js';

// ---------------------------------------------------------------- 21, 43, 45, 201: whole tables

export const getAllTopicConfig: Handler = (ctx) =>
  RemotingCommand.response(ResponseCode.SUCCESS, null, {}, Buffer.from(ctx.topicConfigManager.encode(), 'utf8'));

export const getAllConsumerOffset: Handler = (ctx) => ok(Buffer.from(ctx.consumerOffsetManager.encode(), 'utf8'));

export const getAllDelayOffset: Handler = (ctx) => ok(Buffer.from(ctx.scheduleMessageService.encode(), 'utf8'));

export const getAllSubscriptionGroup: Handler = (ctx) => ok(Buffer.from(ctx.subscriptionGroupManager.encode(), 'utf8'));
