// GET_CONSUMER_LIST_BY_GROUP (38): GetConsumerListByGroupRequestHeader, consumerGroup mandatory.
// The reply has no header fields; its body is {"consumerIdList":[...]}.

import { reqStr, type HeaderExt } from './fields.js';

export interface GetConsumerListByGroupRequestHeader {
  consumerGroup: string;
}

export function decodeGetConsumerListByGroupRequestHeader(ext: HeaderExt): GetConsumerListByGroupRequestHeader {
  return { consumerGroup: reqStr(ext, 'consumerGroup') };
}

export function encodeGetConsumerListByGroupRequestHeader(h: GetConsumerListByGroupRequestHeader): Record<string, string> {
  return { consumerGroup: h.consumerGroup };
}
