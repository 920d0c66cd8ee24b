// The prom-client side: core's port moves the counters and the histogram, every label set
// exists at 0 from the start, the gauges read their sources at scrape time, and the metrics
// listener serves /metrics, /health and /ready.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { PrometheusMessageMetrics } from '../../../src/metrics/message-metrics';
import { registerStateGauges } from '../../../src/metrics/state-gauges';
import { startMetricsServer } from '../../../src/metrics/server';
import { HealthEndpoints, ReadinessCheck } from '../../../src/health';
import type { LoginStateName } from '../../../src/core/sessions';
import type { StateSources } from '../../../src/metrics/state-gauges';

async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const entry = (metric?.values ?? []).find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)
    && Object.keys(v.labels).length === Object.keys(labels).length + ('le' in v.labels ? 1 : 0));
  return entry?.value;
}

test('bridged, failed and latency move their series; the others start at 0', async () => {
  const registry = new Registry();
  const metrics = new PrometheusMessageMetrics(registry);
  assert.equal(await value(registry, 'interop_bridge_messages_bridged_total', { direction: 'matrix_to_remote', kind: 'text' }), 0);
  assert.equal(await value(registry, 'interop_bridge_messages_failed_total', { direction: 'remote_to_matrix', reason: 'gave_up' }), 0);
  metrics.bridged('remote_to_matrix', 'text');
  metrics.bridged('remote_to_matrix', 'text');
  metrics.bridged('matrix_to_remote', 'reaction');
  metrics.failed('matrix_to_remote', 'rejected');
  metrics.latency('remote_to_matrix', 0.3);
  metrics.latency('remote_to_matrix', 120);
  assert.equal(await value(registry, 'interop_bridge_blocked_dropped_total', { kind: 'typing' }), 0);
  metrics.blocked('message');
  assert.equal(await value(registry, 'interop_bridge_blocked_dropped_total', { kind: 'message' }), 1);
  assert.equal(await value(registry, 'interop_bridge_provider_dropped_total', { kind: 'receipt' }), 0);
  metrics.providerBlocked('receipt');
  assert.equal(await value(registry, 'interop_bridge_provider_dropped_total', { kind: 'receipt' }), 1);
  assert.equal(await value(registry, 'interop_bridge_messages_bridged_total', { direction: 'remote_to_matrix', kind: 'text' }), 2);
  assert.equal(await value(registry, 'interop_bridge_messages_bridged_total', { direction: 'matrix_to_remote', kind: 'reaction' }), 1);
  assert.equal(await value(registry, 'interop_bridge_messages_bridged_total', { direction: 'matrix_to_remote', kind: 'text' }), 0);
  assert.equal(await value(registry, 'interop_bridge_messages_failed_total', { direction: 'matrix_to_remote', reason: 'rejected' }), 1);
  const text = await registry.metrics();
  assert.match(text, /^interop_bridge_delivery_latency_seconds_count\{direction="remote_to_matrix"\} 2$/m);
  assert.match(text, /^interop_bridge_delivery_latency_seconds_bucket\{le="0.5",direction="remote_to_matrix"\} 1$/m);
  assert.match(text, /^interop_bridge_delivery_latency_seconds_count\{direction="matrix_to_remote"\} 0$/m);
  assert.match(text, /^interop_bridge_delivery_latency_seconds_sum\{direction="remote_to_matrix"\} 120.3$/m);
});

function fakeSources(): StateSources & { states: LoginStateName[]; pending: number; oldest?: number; portals: number; ghosts: number; awaiting: number } {
  const s = {
    states: [] as LoginStateName[], pending: 0, oldest: undefined as number | undefined, portals: 0, ghosts: 0, awaiting: 0,
    now: () => 100_000,
    logins: () => s.states.map((state) => ({ state })),
    store: {
      outbox: { pendingCount: () => s.pending, oldestPendingAt: () => s.oldest },
      portals: { withRoomCount: () => s.portals },
      ghosts: { count: () => s.ghosts },
      awaitingKeys: { count: () => s.awaiting },
    } as unknown as StateSources['store'],
  };
  return s;
}

test('the gauges read the store and the logins when scraped', async () => {
  const registry = new Registry();
  const s = fakeSources();
  registerStateGauges(registry, s);
  assert.equal(await value(registry, 'interop_bridge_outbox_pending_jobs'), 0);
  assert.equal(await value(registry, 'interop_bridge_outbox_oldest_job_age_seconds'), 0, 'an empty outbox has no age');
  assert.equal(await value(registry, 'interop_bridge_logins', { state: 'connected' }), 0);
  s.pending = 3;
  s.oldest = 40_000;
  s.portals = 2;
  s.ghosts = 5;
  s.awaiting = 7;
  s.states = ['connected', 'connected', 'backing_off'];
  assert.equal(await value(registry, 'interop_bridge_outbox_pending_jobs'), 3);
  assert.equal(await value(registry, 'interop_bridge_outbox_oldest_job_age_seconds'), 60);
  assert.equal(await value(registry, 'interop_bridge_portals'), 2);
  assert.equal(await value(registry, 'interop_bridge_ghosts'), 5);
  assert.equal(await value(registry, 'interop_bridge_events_awaiting_keys'), 7);
  assert.equal(await value(registry, 'interop_bridge_logins', { state: 'connected' }), 2);
  assert.equal(await value(registry, 'interop_bridge_logins', { state: 'backing_off' }), 1);
  assert.equal(await value(registry, 'interop_bridge_logins', { state: 'device_removed' }), 0);
  s.states = ['backing_off'];
  assert.equal(await value(registry, 'interop_bridge_logins', { state: 'connected' }), 0, 'a login that left a state leaves its count');
});

test('the metrics listener: /metrics as Prometheus text, /health, /ready (503 naming the check), 404 for the rest', async (t) => {
  const registry = new Registry();
  new PrometheusMessageMetrics(registry).bridged('remote_to_matrix', 'media');
  let homeserverUp = false;
  const health = new HealthEndpoints(new ReadinessCheck({
    homeserver: async () => { if (!homeserverUp) throw new Error('down'); },
    logins: () => [],
  }, { cacheMs: 0 }));
  const server = await startMetricsServer(registry, health, '127.0.0.1', 0);
  t.after(() => server.close());
  const base = `http://127.0.0.1:${server.port}`;
  const metrics = await fetch(`${base}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
  assert.match(await metrics.text(), /^interop_bridge_messages_bridged_total\{direction="remote_to_matrix",kind="media"\} 1$/m);
  const live = await fetch(`${base}/health`);
  assert.equal(live.status, 200);
  assert.deepEqual(await live.json(), { status: 'ok' });
  const notReady = await fetch(`${base}/ready`);
  assert.equal(notReady.status, 503);
  assert.deepEqual(((await notReady.json()) as { failed: string[] }).failed, ['homeserver']);
  homeserverUp = true;
  assert.equal((await fetch(`${base}/ready`)).status, 200);
  assert.equal((await fetch(`${base}/`)).status, 404);
});

test('a gauge whose source fails makes /metrics answer 500 with the reason, not hang or crash', async (t) => {
  const registry = new Registry();
  const s = fakeSources();
  s.store.outbox.pendingCount = () => {
    throw new Error('the database is closed');
  };
  registerStateGauges(registry, s);
  const health = new HealthEndpoints(new ReadinessCheck({ homeserver: async () => undefined, logins: () => [] }));
  const server = await startMetricsServer(registry, health, '127.0.0.1', 0);
  t.after(() => server.close());
  const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
  assert.equal(res.status, 500);
  assert.match(await res.text(), /the database is closed/);
  assert.equal((await fetch(`http://127.0.0.1:${server.port}/health`)).status, 200, 'the listener still serves');
});
