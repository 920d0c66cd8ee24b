/**
 * The metrics port of core (core/bridge-metrics.ts) in prom-client: messages bridged by
 * direction and kind, failed by direction and reason, and the delivery latency. Every label
 * combination starts at 0, so a rate() or an alert sees the series before the first message.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import {
  BLOCKED_KINDS, DIRECTIONS, FAILURE_REASONS, MESSAGE_KINDS, REQUEST_EVENTS, type BlockedKind, type BridgeMetrics, type Direction, type FailureReason,
  type MessageKind, type RequestEvent,
} from '../core/bridge-metrics';

/** seconds; from "at once" to the 24 h a message may wait by default (bridge.delivery.max_age_seconds) */
export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400];

export class PrometheusMessageMetrics implements BridgeMetrics {
  private readonly bridgedTotal: Counter<'direction' | 'kind'>;
  private readonly failedTotal: Counter<'direction' | 'reason'>;
  private readonly latencySeconds: Histogram<'direction'>;
  private readonly blockedTotal: Counter<'kind'>;
  private readonly requestsTotal: Counter<'event'>;
  private readonly providerDroppedTotal: Counter<'kind'>;

  constructor(registry: Registry) {
    this.bridgedTotal = new Counter({
      name: 'interop_bridge_messages_bridged_total',
      help: 'Messages delivered to the other side, by direction and kind',
      labelNames: ['direction', 'kind'],
      registers: [registry],
    });
    this.failedTotal = new Counter({
      name: 'interop_bridge_messages_failed_total',
      help: 'Messages that ended without reaching the other side (the room was told why), by direction and reason',
      labelNames: ['direction', 'reason'],
      registers: [registry],
    });
    this.latencySeconds = new Histogram({
      name: 'interop_bridge_delivery_latency_seconds',
      help: 'Seconds from when a message was sent to when it was delivered to the other side, by direction',
      labelNames: ['direction'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    this.blockedTotal = new Counter({
      name: 'interop_bridge_blocked_dropped_total',
      help: 'Messages, receipts and typing from a blocked number that reached the bridge and were dropped there (the network drops most before)',
      labelNames: ['kind'],
      registers: [registry],
    });
    for (const kind of BLOCKED_KINDS) this.blockedTotal.inc({ kind }, 0);
    this.requestsTotal = new Counter({
      name: 'interop_bridge_message_requests_total',
      help: 'Message requests from unknown numbers: opened, a message held or dropped past the caps, accepted, declined, blocked',
      labelNames: ['event'],
      registers: [registry],
    });
    for (const event of REQUEST_EVENTS) this.requestsTotal.inc({ event }, 0);
    // by kind, not by provider: provider names come from the network, and a label from outside
    // could grow without bound
    this.providerDroppedTotal = new Counter({
      name: 'interop_bridge_provider_dropped_total',
      help: 'Messages, receipts and typing from a provider the user blocked, dropped at the bridge before any Matrix event',
      labelNames: ['kind'],
      registers: [registry],
    });
    for (const kind of BLOCKED_KINDS) this.providerDroppedTotal.inc({ kind }, 0);
    for (const direction of DIRECTIONS) {
      for (const kind of MESSAGE_KINDS) this.bridgedTotal.inc({ direction, kind }, 0);
      for (const reason of FAILURE_REASONS) this.failedTotal.inc({ direction, reason }, 0);
      this.latencySeconds.zero({ direction });
    }
  }

  bridged(direction: Direction, kind: MessageKind): void {
    this.bridgedTotal.inc({ direction, kind });
  }

  failed(direction: Direction, reason: FailureReason): void {
    this.failedTotal.inc({ direction, reason });
  }

  latency(direction: Direction, seconds: number): void {
    this.latencySeconds.observe({ direction }, seconds);
  }

  blocked(kind: BlockedKind): void {
    this.blockedTotal.inc({ kind });
  }

  request(event: RequestEvent): void {
    this.requestsTotal.inc({ event });
  }

  providerBlocked(kind: BlockedKind): void {
    this.providerDroppedTotal.inc({ kind });
  }
}
