// Admin/metrics HTTP server: entry point for the broker controller.
export { startAdminHttp, uwsNativeAvailable, WS_CLIENTS_MAX } from './server.js';
export type { AdminHttpServer, AdminHttpOptions } from './server.js';
export type {
  AdminHttpContext, AdminHttpLogger, BrokerInfoView, BrokerStatsView, GroupView, QueueOffsetsView, TopicView,
} from './context.js';
export { LatencyHistogram, PUT_LATENCY_BOUNDS_MS } from './histogram.js';
export type { HistogramSnapshot } from './histogram.js';
export { renderMetrics, PROMETHEUS_CONTENT_TYPE, QUEUE_SERIES_MAX } from './metrics.js';
