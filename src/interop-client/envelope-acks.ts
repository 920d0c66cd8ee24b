/**
 * Acknowledgements of one device's envelopes, batched: every `ack()` asked for in the same turn
 * of the event loop leaves as one `envelope.ack_many` (at most MAX_ACKS_PER_REQUEST IDs; a full
 * batch leaves at once). One turn, because that is when frames leave anyway: the connection
 * corks its socket until the next turn (connection.ts) and the gateway commits once per turn
 * (gateway/batch.ts), so waiting longer would add latency, and the deliveries that finish
 * together under load (several Matrix sends answered in one poll of the sockets) finish in the
 * same turn.
 *
 * Each `ack()` resolves when the answer that removed its envelope has arrived, and rejects when
 * that request failed: then none of its envelopes counts as acknowledged, and the caller asks
 * again (a new batch). A gateway that does not know envelope.ack_many (`unknown_type`) gets the
 * batch as single envelope.ack requests, and so does everything after it on that connection
 * (until the next hello, which may be to an upgraded gateway).
 */
import { MAX_ACKS_PER_REQUEST, type HelloResult } from '../protocol/frames';
import type { InteropConnection } from './connection';
import type { RequestOptions } from './connection-options';
import { InteropRequestError } from './errors';

/** the hellos (one per connection made) whose gateway answered envelope.ack_many `unknown_type`;
 *  shared by every device of the connection, so only one of them finds out */
const withoutAckMany = new WeakSet<HelloResult>();

/** acks are idempotent, so resending after a reconnect is safe; a long timeout, since the
 *  caller can do nothing better than ask again */
const ACK_OPTIONS: RequestOptions = { retryOnDisconnect: true, timeoutMs: 60_000 };

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

export class EnvelopeAcks {
  /** envelope ID → everyone waiting for it (the same envelope may be acked twice in a turn) */
  private batch = new Map<string, Waiter[]>();
  private flushScheduled = false;

  constructor(
    private readonly conn: InteropConnection,
    private readonly phone: string,
    private readonly deviceId: number,
    /** told once per connection that its gateway lacks envelope.ack_many (twice the frames from then on) */
    private readonly onSingleAcks: (message: string) => void = () => {},
  ) {}

  /** Resolves once the gateway has removed the envelope (or said it was already gone). */
  ack(envelopeId: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiters = this.batch.get(envelopeId);
      if (waiters) waiters.push({ resolve, reject });
      else this.batch.set(envelopeId, [{ resolve, reject }]);
      if (this.batch.size >= MAX_ACKS_PER_REQUEST) {
        this.flush();
      } else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const batch = this.batch;
    if (batch.size === 0) return;
    this.batch = new Map();
    void this.send(batch);
  }

  private async send(batch: Map<string, Waiter[]>): Promise<void> {
    const ids = [...batch.keys()];
    const hello = this.conn.hello;
    // a lone ack needs no new request type: envelope.ack is one frame too, on every gateway
    if (ids.length === 1 || (hello && withoutAckMany.has(hello))) {
      await Promise.all(ids.map((id) => this.sendOne(id, batch.get(id) as Waiter[])));
      return;
    }
    try {
      const result = await this.conn.request('envelope.ack_many', { phone: this.phone, deviceId: this.deviceId, envelopeIds: ids }, ACK_OPTIONS);
      if (result.removed.length !== ids.length) {
        throw new InteropRequestError('invalid_response', `envelope.ack_many: ${result.removed.length} answers for ${ids.length} envelopes`);
      }
      for (const waiters of batch.values()) for (const w of waiters) w.resolve();
    } catch (err) {
      if (err instanceof InteropRequestError && err.code === 'unknown_type') {
        // an older gateway: the answer came on the current connection, so its hello is the one
        if (this.conn.hello && !withoutAckMany.has(this.conn.hello)) {
          withoutAckMany.add(this.conn.hello);
          this.onSingleAcks('the gateway does not know envelope.ack_many: acknowledgements go one envelope per request on this connection');
        }
        await Promise.all(ids.map((id) => this.sendOne(id, batch.get(id) as Waiter[])));
        return;
      }
      for (const waiters of batch.values()) for (const w of waiters) w.reject(err as Error);
    }
  }

  private async sendOne(envelopeId: string, waiters: Waiter[]): Promise<void> {
    try {
      await this.conn.request('envelope.ack', { phone: this.phone, deviceId: this.deviceId, envelopeId }, ACK_OPTIONS);
      for (const w of waiters) w.resolve();
    } catch (err) {
      for (const w of waiters) w.reject(err as Error);
    }
  }
}
