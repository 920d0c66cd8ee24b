/**
 * Delivery status of the outbox's jobs on the Matrix side, as `com.beeper.message_send_status`
 * events (the form mautrix bridges and Beeper clients use) from the bot, each an m.reference
 * to the user's event. A job still waiting after `bridge.delivery.delayed_after_ms` gets one
 * PENDING status (once, not per retry, and also while its first attempt hangs); when it is
 * finally sent a SUCCESS clears it. A permanent failure always gets FAIL_PERMANENT, next to
 * the human notice. See docs/delivery.md.
 */
import { createHash } from 'node:crypto';
import { backoffDelay } from '../lib/backoff';
import type { OutboxJob } from '../store';
import type { CoreContext } from './context';

export const MESSAGE_STATUS_TYPE = 'com.beeper.message_send_status';

export type SendStatus = 'PENDING' | 'SUCCESS' | 'FAIL_PERMANENT';

/** Where a job's status goes: the user's event and its room. */
export interface StatusTarget {
  roomId: string;
  eventId: string;
}

/** the reason codes of the status event (mautrix's MessageStatusReason values) */
export type StatusReason = 'm.foreign_network_error' | 'm.event_too_old' | 'com.beeper.unsupported_event' | 'm.event_not_handled';

/** The same status for the same event is one Matrix event, however often it is sent. */
function statusTxnId(eventId: string, status: SendStatus): string {
  return `mib-status-${createHash('sha256').update(`${eventId}|${status}`).digest('base64url').slice(0, 32)}`;
}

export class DelayReporter {
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  /** PENDING statuses being sent, so the status that ends the job lands after them */
  private readonly inflight = new Map<number, Promise<void>>();
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly ctx: CoreContext,
    /** the room and event of a job (undefined if its stored message cannot be read) */
    private readonly targetOf: (job: OutboxJob) => Promise<StatusTarget | undefined>,
  ) {}

  /** Sends a status event; throws what the homeserver threw. */
  async send(target: StatusTarget, status: SendStatus, detail: { reason?: StatusReason; message?: string; error?: string } = {}): Promise<void> {
    const { matrix, network } = this.ctx;
    const content = {
      network: network.id,
      'm.relates_to': { rel_type: 'm.reference', event_id: target.eventId },
      status,
      ...(detail.reason ? { reason: detail.reason } : {}),
      ...(detail.message ? { message: detail.message } : {}),
      ...(detail.error ? { error: detail.error } : {}),
    };
    await matrix.sendEvent(matrix.botUserId, target.roomId, MESSAGE_STATUS_TYPE, content, statusTxnId(target.eventId, status));
  }

  /** Call when a job was queued: makes sure the sweep runs when its delay is due. */
  async watch(): Promise<void> {
    if (this.stopped) return;
    const oldest = await this.ctx.store.outbox.oldestUnreported();
    if (oldest === undefined) return;
    this.schedule(oldest + this.ctx.config.bridge.delivery.delayed_after_ms);
  }

  /** SUCCESS clears a reported delay; a job never shown as delayed needs no status. */
  async succeeded(job: OutboxJob, target: StatusTarget): Promise<void> {
    await this.inflight.get(job.id);
    if (!(await this.ctx.store.outbox.get(job.id))?.delayReported) return;
    await this.send(target, 'SUCCESS');
  }

  async failed(job: OutboxJob, target: StatusTarget, reason: StatusReason, message: string): Promise<void> {
    await this.inflight.get(job.id);
    await this.send(target, 'FAIL_PERMANENT', { reason, message });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(at: number): void {
    if (this.timer !== undefined && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.sweep().catch((error: unknown) => {
        // the store failed: tried again like a failing homeserver
        this.ctx.log.warn(`the sweep for delayed outbox jobs failed: ${(error as Error).message}; will try again`);
        const { retry_initial_ms: initialDelayMs, retry_max_ms: maxDelayMs } = this.ctx.config.bridge.delivery;
        if (!this.stopped) this.schedule(Date.now() + backoffDelay(this.failures++, { initialDelayMs, maxDelayMs, factor: 2, jitter: 0.2 }));
      });
    }, Math.max(0, at - Date.now()));
    this.timer.unref();
  }

  /** Marks one job as shown delayed and sends its PENDING status; false if that failed. */
  private async reportDelayed(job: OutboxJob): Promise<boolean> {
    const { store, config, log } = this.ctx;
    const delivery = config.bridge.delivery;
    // marked before the status is sent, and only while the job still waits (it may have ended
    // since the sweep listed it); a job whose message cannot be read is marked too (there is
    // nothing to point at), so it is not swept again
    const marked = await store.atomically(async (tx) => {
      const current = await tx.outbox.get(job.id);
      if (current?.state !== 'pending' || current.delayReported) return false;
      await tx.outbox.setDelayReported(job.id, true);
      return true;
    });
    if (!marked) return true;
    const target = await this.targetOf(job);
    if (!target) return true;
    const until = new Date(job.createdAt + delivery.max_age_seconds * 1000).toISOString();
    try {
      await this.send(target, 'PENDING', {
        reason: 'm.foreign_network_error',
        message: `Not delivered to the contact yet; the bridge keeps trying until ${until}.`,
        ...(job.lastError ? { error: job.lastError } : {}),
      });
      return true;
    } catch (error) {
      log.warn(`could not show outbox job ${job.id} as delayed: ${(error as Error).message}; will try again`);
      if ((await store.outbox.get(job.id))?.state === 'pending') await store.outbox.setDelayReported(job.id, false);
      return false;
    }
  }

  /** Reports every job waiting longer than delayed_after_ms that was not reported yet. */
  private async sweep(): Promise<void> {
    const { store, config } = this.ctx;
    const delivery = config.bridge.delivery;
    const due = await store.outbox.delayedUnreported(Date.now() - delivery.delayed_after_ms);
    const sends: Promise<boolean>[] = [];
    for (const job of due) {
      // in flight from here, before the first await: the job's end, which waits for what is
      // in flight and then reads the mark, always knows a PENDING status may exist
      const sending = this.reportDelayed(job);
      const settled = sending.then(() => undefined, () => undefined);
      this.inflight.set(job.id, settled);
      void settled.then(() => this.inflight.delete(job.id));
      sends.push(sending);
    }
    const ok = await Promise.all(sends);
    if (this.stopped) return;
    if (ok.every(Boolean)) {
      this.failures = 0;
      await this.watch();
    } else {
      // the homeserver is failing: try again with backoff, not in a tight loop
      const delay = backoffDelay(this.failures++, { initialDelayMs: delivery.retry_initial_ms, maxDelayMs: delivery.retry_max_ms, factor: 2, jitter: 0.2 });
      this.schedule(Date.now() + delay);
    }
  }
}
