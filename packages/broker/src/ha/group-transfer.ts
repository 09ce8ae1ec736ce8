// GroupTransfer (Apache's GroupTransferService): under SYNC_MASTER a send is answered once a slave has
// acknowledged an offset >= the end of its message, FLUSH_SLAVE_TIMEOUT after slaveTimeout, or at
// once SLAVE_NOT_AVAILABLE when no slave is connected within haSlaveFallbehindMax. It uses the
// store's PositionWaiters with one ack source, 'replica' (a slave's acked offset): one ack releases
// every send below it (group commit). The master only streams bytes its flush service has
// acknowledged, so a slave's ack never passes the flush ack; waiting for the flush first and then
// for the slave costs nothing over waiting for both at once.
import { PositionWaiters, type PutResult } from '@rmq/store';

export const REPLICA_SOURCE = 'replica';

export interface SlaveGate { isSlaveOK(end: number): boolean }

export class GroupTransfer {
  private readonly waiters = new PositionWaiters();

  constructor(private readonly gate: SlaveGate, private readonly timeoutMs: number) {
    this.waiters.addSource(REPLICA_SOURCE, 0, 'FLUSH_SLAVE_TIMEOUT');
  }

  /** A put the store acknowledged: wait for a slave too. */
  wait(r: PutResult): Promise<PutResult> | PutResult {
    if (r.status !== 'PUT_OK') return r;
    const end = r.wroteOffset + r.wroteBytes;
    if (!this.gate.isSlaveOK(end)) return { ...r, status: 'SLAVE_NOT_AVAILABLE' };
    return this.waiters.wait(end, r, Date.now() + this.timeoutMs);
  }

  advance(offset: number): void { this.waiters.advance(REPLICA_SOURCE, offset); }
  expire(now: number): void { this.waiters.expire(now); }
  get pending(): number { return this.waiters.pending; }
  failAll(): void { this.waiters.failAll('FLUSH_SLAVE_TIMEOUT', 'master shutting down'); }
}
