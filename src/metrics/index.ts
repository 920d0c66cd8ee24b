/**
 * Prometheus metrics (metrics.enabled): matrix-appservice-bridge's own (process, Matrix API
 * calls), the Matrix events the intake skipped, the messages core bridged or failed
 * (message-metrics.ts) and the state read at scrape time (state-gauges.ts), in one registry
 * of our own (the global default would mix in whatever else shares the process), served by
 * server.ts. docs/metrics-and-health.md lists every metric.
 */
import type { Bridge } from 'matrix-appservice-bridge';
import { Registry } from 'prom-client';
import type { HealthEndpoints } from '../health';
import type { SkippedEvent } from '../matrix/transaction-intake';
import { registerStateGauges, type StateSources } from './state-gauges';
import { startMetricsServer, type MetricsServer } from './server';

import { PrometheusMessageMetrics } from './message-metrics';

export type { MetricsServer } from './server';

export interface MetricsStart {
  bridge: Bridge;
  health: HealthEndpoints;
  state: StateSources;
  /** the transaction intake: told about every skipped event */
  intake: { onSkipped: (skip: SkippedEvent) => void };
  address: string;
  port: number;
}

export class Metrics {
  readonly registry = new Registry();
  /** core's port (core/bridge-metrics.ts): exists before core does, so core is built with it */
  readonly messages = new PrometheusMessageMetrics(this.registry);

  /**
   * Registers the rest and opens the listener. Only after the appservice listens: a Bridge
   * that has its Prometheus metrics when listen() runs also serves them on the appservice
   * port, which may face the internet.
   */
  async start(options: MetricsStart): Promise<MetricsServer> {
    const prometheus = options.bridge.getPrometheusMetrics(false, this.registry);
    const skipped = prometheus.addCounter({
      name: 'matrix_events_skipped_total',
      help: 'Matrix events the intake skipped as bad input (malformed, refused for good, too old to retry)',
      labels: ['reason'],
    });
    options.intake.onSkipped = (skip) => skipped.inc({ reason: skip.reason });
    registerStateGauges(this.registry, options.state);
    return startMetricsServer(this.registry, options.health, options.address, options.port);
  }
}
