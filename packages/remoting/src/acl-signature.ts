// ACL 1.0 request signature, as Apache RocketMQ 4.x computes it (AclClientRPCHook, AclUtils,
// AclSigner): the ext field values sorted by field name (Java String order = UTF-16 code units),
// "Signature" left out, concatenated as UTF-8, then the body bytes; HmacSHA1 with the secret key
// (UTF-8); Base64. The client adds AccessKey (and SecurityToken) before signing.
import { createHmac } from 'node:crypto';
import type { RemotingCommand } from './command.js';
import type { ClientRPCHook } from './client.js';

export const ACL_ACCESS_KEY = 'AccessKey';
export const ACL_SIGNATURE = 'Signature';
export const ACL_SECURITY_TOKEN = 'SecurityToken';

export interface SessionCredentials {
  accessKey: string;
  secretKey: string;
  securityToken?: string;
}

/** Base64(HmacSHA1(secretKey, sorted ext values without `Signature` (and `skip`) + body)). */
export function aclSignature(ext: Record<string, string> | null, body: Buffer | Buffer[] | null, secretKey: string, skip?: string): string {
  const mac = createHmac('sha1', Buffer.from(secretKey, 'utf8'));
  if (ext !== null) {
    const keys = Object.keys(ext).sort();
    let content = '';
    for (const k of keys) if (k !== ACL_SIGNATURE && k !== skip) content += ext[k];
    mac.update(content, 'utf8');
  }
  if (body !== null) {
    if (Buffer.isBuffer(body)) mac.update(body);
    else for (const part of body) mac.update(part);
  }
  return mac.digest('base64');
}

/** Signs every request like Apache's AclClientRPCHook. */
export function aclClientRPCHook(c: SessionCredentials): ClientRPCHook {
  return {
    doBeforeRequest(_addr: string, req: RemotingCommand): void {
      req.setExt(ACL_SIGNATURE, null);
      req.setExt(ACL_ACCESS_KEY, c.accessKey);
      if (c.securityToken) req.setExt(ACL_SECURITY_TOKEN, c.securityToken);
      req.setExt(ACL_SIGNATURE, aclSignature(req.extFields, req.body, c.secretKey));
    },
  };
}
