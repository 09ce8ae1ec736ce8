// Typed request/response headers, one file per request family: an interface per header, with
// encodeXxx(h) -> ext fields and decodeXxx(ext) -> header. Shared by the broker and the client.
export * from './fields.js';
export * from './send.js';
export * from './pull.js';
export * from './consumer-offset.js';
export * from './queue-offset.js';
export * from './consumer-list.js';
export * from './consumer-send-msg-back.js';
export * from './end-transaction.js';
