// Topic routes as the name server returns them (GET_ROUTEINFO_BY_TOPIC) and the two views the
// client derives: the writable queues a producer picks from, and the readable queues consumers
// share out in a rebalance.
import type { MessageQueue } from '../message.js';
import { compareMessageQueue } from '../message.js';

import { looseArray, looseObject, Perm, type BrokerData, type QueueData, type TopicRouteData } from '@rmq/remoting';

export { Perm, type BrokerData, type QueueData, type TopicRouteData };

export function normalizeRoute(body: unknown): TopicRouteData {
  const raw = looseObject(body);
  const queueDatas: QueueData[] = looseArray(raw.queueDatas).map((v) => {
    const q = looseObject(v);
    return {
      brokerName: String(q.brokerName), readQueueNums: Number(q.readQueueNums), writeQueueNums: Number(q.writeQueueNums),
      perm: Number(q.perm), topicSysFlag: Number(q.topicSysFlag ?? 0),
    };
  });
  const brokerDatas: BrokerData[] = looseArray(raw.brokerDatas).map((v) => {
    const b = looseObject(v);
    const addrs: Record<string, string> = {};
    for (const [k, a] of Object.entries(looseObject(b.brokerAddrs))) addrs[String(Number(k))] = String(a);
    return { cluster: String(b.cluster ?? ''), brokerName: String(b.brokerName), brokerAddrs: addrs };
  });
  queueDatas.sort((a, b) => (a.brokerName < b.brokerName ? -1 : a.brokerName > b.brokerName ? 1 : 0));
  brokerDatas.sort((a, b) => (a.brokerName < b.brokerName ? -1 : a.brokerName > b.brokerName ? 1 : 0));
  const r: TopicRouteData = { queueDatas, brokerDatas };
  if (raw.orderTopicConf) r.orderTopicConf = String(raw.orderTopicConf);
  return r;
}

/** A stable text of the route for change detection. */
export function routeFingerprint(r: TopicRouteData): string {
  return JSON.stringify(r);
}

export interface TopicPublishInfo {
  orderTopic: boolean;
  queues: MessageQueue[];
  route: TopicRouteData;
}

export function toPublishInfo(topic: string, route: TopicRouteData): TopicPublishInfo {
  const queues: MessageQueue[] = [];
  if (route.orderTopicConf) {
    // "broker-a:4;broker-b:4": the ordered topic's queues, in that order.
    for (const item of route.orderTopicConf.split(';')) {
      const [brokerName, n] = item.split(':');
      if (!brokerName) continue;
      for (let i = 0; i < Number(n); i++) queues.push({ topic, brokerName, queueId: i });
    }
    return { orderTopic: true, queues, route };
  }
  for (const qd of route.queueDatas) {
    if (!(qd.perm & Perm.WRITE)) continue;
    const bd = route.brokerDatas.find((b) => b.brokerName === qd.brokerName);
    if (!bd || !bd.brokerAddrs['0']) continue; // only masters take writes
    for (let i = 0; i < qd.writeQueueNums; i++) queues.push({ topic, brokerName: qd.brokerName, queueId: i });
  }
  return { orderTopic: false, queues, route };
}

export function toSubscribeInfo(topic: string, route: TopicRouteData): MessageQueue[] {
  const out: MessageQueue[] = [];
  for (const qd of route.queueDatas) {
    if (!(qd.perm & Perm.READ)) continue;
    for (let i = 0; i < qd.readQueueNums; i++) out.push({ topic, brokerName: qd.brokerName, queueId: i });
  }
  return out.sort(compareMessageQueue);
}
