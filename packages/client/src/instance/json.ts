// JSON bodies from brokers and name servers are fastjson output: integer map keys may be unquoted
// and object map keys appear as whole objects. parseFastJson (remoting) reads both.
import { parseFastJson } from '@rmq/remoting';

export function parseBody(body: Buffer): any {
  return parseFastJson(body.toString('utf8'));
}
