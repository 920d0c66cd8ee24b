/**
 * The summary of what was dropped from blocked providers: one notice in the management room
 * at most once per `bridge.providers.summary_interval_hours` per user. The counts live in the
 * store, so a restart loses none: start() schedules what is due. The first drop a user ever
 * has is reported at once (so they learn that the block works); later ones wait for the
 * interval since the last summary.
 *
 * A failed send is retried with backoff, for as long as it fails: a summary is never given up.
 * Each summary has a deterministic transaction ID (the time of the summary before it names
 * its window), and its retries send the same counts under it, so a retry after a lost answer
 * is the same event, not a second.
 */
import { noticeContent } from '../convert';
import { backoffDelay } from '../lib/backoff';
import { providerDropSummaryNotice } from '../security/provider-notices';
import type { ProviderDrops } from '../store';
import type { CoreContext } from './context';
import { remoteTxnId } from './remote-txn-id';

/** the longest delay setTimeout takes (about 24.8 days); a later due time is waited for in steps */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class ProviderDropSummary {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly failures = new Map<string, number>();
  /** the counts a summary in retry reports, so every attempt is the same event */
  private readonly inFlight = new Map<string, ProviderDrops>();
  private stopped = true;

  constructor(private readonly ctx: CoreContext) {}

  private get intervalMs(): number {
    return this.ctx.config.bridge.providers.summary_interval_hours * 3600 * 1000;
  }

  /** After a start: summaries that a stop or a crash left unsent. */
  async start(): Promise<void> {
    this.stopped = false;
    for (const owner of (await this.ctx.store.providers.ownersWithDrops())) await this.schedule(owner);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** a drop was counted for `owner`: make sure a summary is on its way */
  async dropped(owner: string): Promise<void> {
    await this.schedule(owner);
  }

  private async due(owner: string): Promise<number> {
    const last = await this.ctx.store.providers.lastSummaryAt(owner);
    return last === undefined ? Date.now() : last + this.intervalMs;
  }

  private async schedule(owner: string, when?: number): Promise<void> {
    if (this.stopped || this.timers.has(owner)) return;
    const at = when ?? (await this.due(owner));
    // checked again: a stop, or another schedule for this owner, may have come while the store was read
    if (this.stopped || this.timers.has(owner)) return;
    const timer = setTimeout(() => {
      this.timers.delete(owner);
      this.summarise(owner).catch((error: unknown) => {
        this.ctx.log.warn(`summary of messages dropped from blocked providers for ${owner} failed: ${(error as Error).message}`);
      });
    }, Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())));
    timer.unref();
    this.timers.set(owner, timer);
  }

  private async summarise(owner: string): Promise<void> {
    if (this.stopped) return;
    const retrying = this.inFlight.get(owner);
    // a long interval is waited for in steps (see MAX_TIMER_MS); a retry is already due
    if (!retrying && await this.due(owner) > Date.now()) return await this.schedule(owner);
    const { store, matrix } = this.ctx;
    const drops = retrying ?? await store.providers.drops(owner);
    if (!drops) return;
    const room = (await store.users.get(owner))?.managementRoom;
    if (!room) {
      // a login made through the provisioning API has no management room; the counts stay,
      // and `providers` shows them
      this.ctx.log.info(`messages dropped from blocked providers for ${owner} stay counted: the user has no management room to tell`);
      return;
    }
    const last = await store.providers.lastSummaryAt(owner);
    this.inFlight.set(owner, drops);
    try {
      const notice = providerDropSummaryNotice({ messages: drops.messages, byProvider: drops.byProvider, since: last });
      await matrix.sendEvent(matrix.botUserId, room, 'm.room.message', noticeContent(notice.body, notice.html),
        remoteTxnId(owner, 'provider-drops', String(last ?? 0), 'summary'));
      await store.providers.clearDrops(owner, drops.byProvider, Date.now());
      this.inFlight.delete(owner);
      this.failures.delete(owner);
      // drops that came while it was being sent wait for the next interval
      if (await store.providers.drops(owner)) await this.schedule(owner);
    } catch (error) {
      const failures = (this.failures.get(owner) ?? 0) + 1;
      this.failures.set(owner, failures);
      const { retry_initial_ms: initialDelayMs, retry_max_ms: maxDelayMs } = this.ctx.config.bridge.delivery;
      const delay = backoffDelay(failures - 1, { initialDelayMs, maxDelayMs, factor: 2, jitter: 0.3 });
      this.ctx.log.warn(`summary of messages dropped from blocked providers for ${owner} not sent (try ${failures}), retrying in ${delay} ms: ${(error as Error).message}`);
      await this.schedule(owner, Date.now() + delay);
    }
  }
}
