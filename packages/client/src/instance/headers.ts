// Request headers built exactly as the Apache 4.9.8 client sends them: defined once, with their
// decoders, in @rmq/remoting (headers/); the client's names for the two per-message encoders.
export type { PullMessageRequestHeader, SendMessageRequestHeader } from '@rmq/remoting';
export {
  encodePullMessageRequestHeader as pullMessageFields, encodeSendMessageRequestHeaderV2 as sendMessageV2Fields,
} from '@rmq/remoting';
