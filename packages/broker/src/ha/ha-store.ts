// What the HA services need from the store (StoreReplication in @rmq/store implements it; tests may
// pass a fake). No network code on the store side.
export interface HAStorePort {
  readonly mappedFileSize: number;
  /** end of the commit log */
  maxPhyOffset(): number;
  /** what this store acknowledges (may be sent by a master, is reported by a slave) */
  ackedOffset(): number;
  /** commit log bytes from `from` (a view; within one page and one file), or null when none yet */
  readForTransfer(from: number, maxBytes: number): Buffer | null;
  /** slave: the master's bytes at phy, verbatim; null or why they were refused */
  appendReplicated(phy: number, data: Uint8Array, start?: number, length?: number): string | null;
  /** calls cb(ackedOffset) each time the acknowledged position advances; returns an unsubscribe */
  onAdvance(cb: (ackedOffset: number) => void): () => void;
  /** a slave refuses ordinary puts */
  setReadOnly(reason: string | null): void;
}

export interface HAConfig {
  haListenPort: number;
  haSendHeartbeatInterval: number;
  haHousekeepingInterval: number;
  haTransferBatchSize: number;
  haSlaveFallbehindMax: number;
  /** SYNC_MASTER: ms a send waits for a slave before FLUSH_SLAVE_TIMEOUT */
  slaveTimeout: number;
}
