// Public entry of @rmq/remoting: frame codec, commands and codes, fastjson, server, client, logger and
// the message-level formats (properties, message ids, stored records, batch bodies).
export * from './codes.js';
export * from './retriable.js';
export * from './java-properties.js';
export * from './route.js';
export * from './command.js';
export * from './codec.js';
export * from './fastjson.js';
export * from './logger.js';
export * from './connection.js';
export * from './server.js';
export * from './client.js';
export * from './acl-signature.js';
export * from './message.js';
export * from './json-decode.js';
export * from './headers/index.js';
