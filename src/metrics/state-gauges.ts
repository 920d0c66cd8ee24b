/**
 * Gauges read when Prometheus scrapes, not kept up to date by the code that changes them:
 * the outbox's depth and the age of its oldest job (a stuck portal shows as a growing age),
 * each login's connection state (counted per state: a label per user would put user IDs in
 * the metrics and make a series per user), portals, ghosts, and encrypted Matrix events waiting
 * for their room key. Each read is one cheap query.
 */
import { Gauge, type Registry } from 'prom-client';
import { LOGIN_STATES, type LoginStateName } from '../core/sessions';
import type { BridgeStore } from '../store';

export interface StateSources {
  store: Pick<BridgeStore, 'outbox' | 'portals' | 'ghosts' | 'awaitingKeys'>;
  /** every login's lifecycle state */
  logins(): readonly { state: LoginStateName }[];
  now?: () => number;
}

export function registerStateGauges(registry: Registry, sources: StateSources): void {
  const { store } = sources;
  const now = sources.now ?? Date.now;
  new Gauge({
    name: 'interop_bridge_outbox_pending_jobs',
    help: 'Matrix messages waiting in the outbox to be sent to the network',
    registers: [registry],
    async collect() {
      this.set(await store.outbox.pendingCount());
    },
  });
  new Gauge({
    name: 'interop_bridge_outbox_oldest_job_age_seconds',
    help: 'Age of the oldest message waiting in the outbox (0 when it is empty)',
    registers: [registry],
    async collect() {
      const oldest = await store.outbox.oldestPendingAt();
      this.set(oldest === undefined ? 0 : Math.max(0, now() - oldest) / 1000);
    },
  });
  new Gauge({
    name: 'interop_bridge_logins',
    help: 'Logins to the network, by lifecycle state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const counts = new Map<LoginStateName, number>(LOGIN_STATES.map((state) => [state, 0]));
      for (const login of sources.logins()) counts.set(login.state, (counts.get(login.state) ?? 0) + 1);
      for (const [state, count] of counts) this.set({ state }, count);
    },
  });
  new Gauge({
    name: 'interop_bridge_portals',
    help: 'Portal rooms: chats with a remote contact that have a Matrix room',
    registers: [registry],
    async collect() {
      this.set(await store.portals.withRoomCount());
    },
  });
  new Gauge({
    name: 'interop_bridge_events_awaiting_keys',
    help: 'Encrypted Matrix events held until their room key reaches the bridge (end-to-bridge encryption)',
    registers: [registry],
    async collect() {
      this.set(await store.awaitingKeys.count());
    },
  });
  new Gauge({
    name: 'interop_bridge_ghosts',
    help: 'Ghosts: remote people the bridge has a Matrix user for',
    registers: [registry],
    async collect() {
      this.set(await store.ghosts.count());
    },
  });
}
