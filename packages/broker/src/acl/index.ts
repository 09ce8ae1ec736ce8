// The broker's ACL service: loads plain_acl.yml, reloads it when it changes (a bad edit keeps the
// previous rules and logs one line), and checks every request through the remoting RPC hook. A refusal
// is NO_PERMISSION (16) with Apache's reason as the remark; the processor never runs, so nothing is written.
import fs from 'node:fs';
import path from 'node:path';
import { RemotingCommand, ResponseCode, type Channel, type Logger, type RPCHook } from '@rmq/remoting';
import { AclError, parseAclConfig, validate, type AclConfig } from './plain-acl.js';

export * from './plain-acl.js';
export { parseYaml, YamlError } from './yaml.js';

/** Apache: ${ROCKETMQ_HOME}/conf/plain_acl.yml (-Drocketmq.acl.plain.file overrides the relative name). */
export function defaultAclFile(rocketmqHome: string): string {
  return path.join(rocketmqHome, 'conf', 'plain_acl.yml');
}

export class AclService {
  private cfg: AclConfig;
  private lastText = '';
  private watching = false;

  constructor(readonly file: string, private readonly logger: Logger, private readonly pollMs = 500) {
    const text = readOrThrow(file);
    this.cfg = parseAclConfig(text); // a bad file at start fails the start, with the reason
    this.lastText = text;
  }

  start(): void {
    if (this.watching) return;
    this.watching = true;
    fs.watchFile(this.file, { interval: this.pollMs, persistent: false }, () => this.reload());
    this.logger.info(`acl enabled: ${this.file} (${this.cfg.accounts.size} accounts)`);
  }

  stop(): void {
    if (!this.watching) return;
    this.watching = false;
    fs.unwatchFile(this.file);
  }

  /** Re-reads the file; keeps the old rules when the new text does not parse. */
  reload(): boolean {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      this.logger.warn(`acl: cannot read ${this.file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); keeping the previous rules`);
      return false;
    }
    if (text === this.lastText) return false;
    try {
      this.cfg = parseAclConfig(text);
      this.lastText = text;
      this.logger.info(`acl: ${this.file} reloaded (${this.cfg.accounts.size} accounts)`);
      return true;
    } catch (e) {
      this.lastText = text;
      this.logger.warn(`acl: ${this.file} not reloaded: ${(e as Error).message}; keeping the previous rules`);
      return false;
    }
  }

  /** null when allowed, else the reason. */
  check(req: RemotingCommand, remoteAddr: string): string | null {
    try {
      validate(this.cfg, req, remoteAddr);
      return null;
    } catch (e) {
      if (e instanceof AclError) return e.message;
      return `acl check failed: ${(e as Error).message}`;
    }
  }

  readonly hook: RPCHook = {
    doBeforeRequest: (req: RemotingCommand, ch: Channel): RemotingCommand | null => {
      const why = this.check(req, ch.remoteAddress);
      if (why === null) return null;
      this.logger.debug(`acl: request code ${req.code} from ${ch.remoteAddress} refused: ${why}`);
      return RemotingCommand.response(ResponseCode.NO_PERMISSION, why);
    },
  };
}

function readOrThrow(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`aclEnable=true but ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
