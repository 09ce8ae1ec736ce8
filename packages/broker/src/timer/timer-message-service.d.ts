import type { Logger } from '@rmq/remoting';
import type { MessageStore } from '@rmq/store';
export declare const TIMER_TOPIC = "rmq_sys_wheel_timer";
export declare const PROP_TIMER_DELIVER_MS = "TIMER_DELIVER_MS";
export declare const PROP_TIMER_DELAY_SEC = "TIMER_DELAY_SEC";
export declare const PROP_TIMER_DELAY_MS = "TIMER_DELAY_MS";
export declare const PROP_TIMER_DEL_UNIQKEY = "TIMER_DEL_UNIQKEY";
export declare const PROP_TIMER_OUT_MS = "TIMER_OUT_MS";
export declare const PROP_TIMER_ENQUEUE_MS = "TIMER_ENQUEUE_MS";
export declare const PROP_TIMER_DEQUEUE_MS = "TIMER_DEQUEUE_MS";
/** "<real topic>+<UNIQ_KEY>": the key a cancel names (TimerMessageStore.buildDeleteKey). */
export declare const timerDeleteKey: (topic: string, uniqKey: string) => string;
export interface TimerConfig {
    timerWheelEnable: boolean;
    timerMaxDelaySec: number;
    timerPrecisionMs: number;
    timerWheelSlots: number;
    timerFlushIntervalMs: number;
}
export interface StagedTimer {
    topic: string;
    queueId: number;
    properties: string;
}
export interface TimerStats {
    enqueued: number;
    delivered: number;
    cancelled: number;
    rolled: number;
    failed: number;
    latenessMs: Float64Array;
    latenessN: number;
}
export declare class TimerMessageService {
    private readonly store;
    private readonly cfg;
    private readonly storePathRootDir;
    private readonly logger;
    private wheel;
    private enqOffset;
    private cancelOffset;
    private readonly cancels;
    private readonly open;
    private wake;
    private wakeAt;
    private checkpointTimer;
    private started;
    private pumping;
    private enqueueScheduled;
    private totalInflight;
    private readonly idleWaiters;
    /** Recent delivery lateness samples (ring of 64k), for the benchmark and /metrics. */
    readonly stats: TimerStats;
    constructor(store: MessageStore, cfg: TimerConfig, storePathRootDir: string, logger: Logger);
    get enabled(): boolean;
    get pending(): number;
    /**
     * The send path's hook: null for an ordinary message, an error text for an illegal timer (answered
     * MESSAGE_ILLEGAL), or the staged form to store instead.
     */
    stage(topic: string, queueId: number, properties: string, now?: number): StagedTimer | string | null;
    start(): void;
    /** From the dispatcher: something new in rmq_sys_wheel_timer. */
    notifyMessageArriving(): void;
    private enqueue;
    private enqueueCancels;
    private schedule;
    /** Opens due slots, reads their new records, delivers what is due, closes finished slots in order. */
    private pump;
    /** Reads the records linked into a slot since the last read; keeps the undelivered part sorted. */
    private refresh;
    /** Starts the puts of every due record; returns when the next one is due (Infinity: none). */
    private deliverDue;
    private deliver;
    private metaText;
    /** Snapshot of the wheel with the enqueue state (periodic; also at shutdown). */
    checkpoint(): Promise<void>;
    /** Resolves when no delivery is in flight. */
    idle(): Promise<void>;
    shutdown(): Promise<void>;
}
