/**
 * Who receives which device's queue right now, and pushing queued envelopes to them in order.
 *
 * A subscription remembers the last envelope pushed and the ones not yet acknowledged; at most
 * `window` are outstanding, the rest follow as acks arrive. Nothing here is durable: the queue
 * in SQLite is the truth, so a new subscription simply starts again from the oldest envelope.
 */
import type { Connection } from './context';
import { eventFrame } from './context';
import type { QueueStore } from './store/queue';
import type { EnvelopeEvent, SubscriptionEndedEvent } from '../protocol/frames';

interface Subscription {
  conn: Connection;
  phone: string;
  deviceId: number;
  lastSeq: number;
  inflight: Set<number>;
  /** everything queued for the device up to lastSeq has been pushed: new envelopes can be
   *  pushed straight from memory without reading the queue back */
  caughtUp: boolean;
}

const key = (phone: string, deviceId: number): string => `${phone}/${deviceId}`;

export class DeliveryHub {
  private readonly subs = new Map<string, Subscription>();
  private readonly byConn = new Map<Connection, Set<string>>();

  constructor(
    private readonly queue: QueueStore,
    private readonly window: number,
  ) {}

  /** Subscribe `conn` to a device (taking it over from another connection); returns the queue
   *  length. Call `pump` after answering so the envelopes follow the answer. */
  subscribe(conn: Connection, phone: string, deviceId: number): number {
    const k = key(phone, deviceId);
    const previous = this.subs.get(k);
    if (previous && previous.conn !== conn) this.end(phone, deviceId, 'replaced');
    this.subs.set(k, { conn, phone, deviceId, lastSeq: 0, inflight: new Set(), caughtUp: false });
    let set = this.byConn.get(conn);
    if (!set) this.byConn.set(conn, (set = new Set()));
    set.add(k);
    return this.queue.count(phone, deviceId);
  }

  unsubscribe(conn: Connection, phone: string, deviceId: number): void {
    const k = key(phone, deviceId);
    if (this.subs.get(k)?.conn !== conn) return;
    this.subs.delete(k);
    this.byConn.get(conn)?.delete(k);
  }

  connectionFor(phone: string, deviceId: number): Connection | undefined {
    return this.subs.get(key(phone, deviceId))?.conn;
  }

  /** Push what the window allows to the device's subscriber, if any. */
  pump(phone: string, deviceId: number): void {
    const sub = this.subs.get(key(phone, deviceId));
    if (!sub) return;
    const room = this.window - sub.inflight.size;
    if (room <= 0) return;
    const rows = this.queue.after(phone, deviceId, sub.lastSeq, room);
    for (const { seq, event } of rows) this.push(sub, seq, event);
    sub.caughtUp = rows.length < room;
  }

  /** A new envelope was just queued (and committed with this turn): push it if the device's
   *  subscriber is caught up and has room, else let `pump` find it in order later. */
  queued(event: EnvelopeEvent): void {
    const { phone, deviceId } = event.recipient;
    const sub = this.subs.get(key(phone, deviceId));
    if (!sub) return;
    const seq = Number(event.envelopeId);
    if (sub.caughtUp && seq > sub.lastSeq && sub.inflight.size < this.window) {
      this.push(sub, seq, event);
    } else {
      sub.caughtUp = false;
      this.pump(phone, deviceId);
    }
  }

  private push(sub: Subscription, seq: number, event: EnvelopeEvent): void {
    sub.lastSeq = seq;
    sub.inflight.add(seq);
    sub.conn.send(eventFrame('envelope', event));
  }

  acked(phone: string, deviceId: number, seq: number): void {
    const sub = this.subs.get(key(phone, deviceId));
    // when caught up, nothing waits in the queue beyond what was pushed: no need to look
    if (sub?.inflight.delete(seq) && !sub.caughtUp) this.pump(phone, deviceId);
  }

  /** The connection went away: its subscriptions end; unacked envelopes stay queued. */
  dropConnection(conn: Connection): void {
    for (const k of this.byConn.get(conn) ?? []) {
      if (this.subs.get(k)?.conn === conn) this.subs.delete(k);
    }
    this.byConn.delete(conn);
  }

  /** End the subscription of one device, or of all devices of an account, telling the subscriber. */
  end(phone: string, deviceId: number | undefined, reason: SubscriptionEndedEvent['reason']): void {
    for (const [k, sub] of this.subs) {
      if (sub.phone !== phone || (deviceId !== undefined && sub.deviceId !== deviceId)) continue;
      this.subs.delete(k);
      this.byConn.get(sub.conn)?.delete(k);
      sub.conn.send(eventFrame('subscription.ended', { device: { phone, deviceId: sub.deviceId }, reason }));
    }
  }

  /** Close every connection (gateway shutdown). */
  connections(): Connection[] {
    return [...this.byConn.keys()];
  }
}
