// Counters the broker keeps for runtime info, tests and the admin endpoints. Cheap increments
// only: nothing on the hot path allocates.
import { LatencyHistogram } from './http/histogram.js';

export class BrokerStats {
  putMessages = 0;
  putBytes = 0;
  getMessages = 0;
  getBytes = 0;
  /** Pull requests processed (first runs, not wake-ups): tests use it to detect busy loops. */
  pullRequests = 0;
  pullSuspended = 0;
  pullWakeups = 0;
  sendRejected = 0;
  /** Store put latency (append to durability ack), one sample per put request. */
  readonly putLatency = new LatencyHistogram();
  readonly bootTimestamp = Date.now();
}
