/** Prometheus metrics of the medic: see `registry.ts` (names) and `collector.ts` (where values come from). */
export { createMedicMetrics, exportedMetricNames, type MedicMetrics } from './registry.js';
export { classOf, DISCORD_STATES, MetricsCollector, PHASES, type MetricSources } from './collector.js';
export { startMetricsServer, type MetricsServer } from './server.js';
