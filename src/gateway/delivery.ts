/**
 * Who receives which device's queue right now, and pushing queued envelopes to them.
 *
 * Fair across senders: each (device, sender) pair has its own window of at most `window`
 * envelopes pushed and not yet acknowledged, and its own cursor. A contact whose envelopes the
 * subscriber cannot acknowledge (a poison message, a slow portal, a flood) fills only its own
 * window; envelopes from everyone else keep flowing. Order is kept per sender, which is all
 * the subscriber orders by (one portal per contact); across senders only roughly.
 *
 * Nothing here is durable: the queue in SQLite is the truth, so a new subscription simply
 * starts again from the oldest envelope of every sender.
 */
import type { Connection } from './context';
import { eventFrame } from './context';
import type { QueueStore } from './store/queue';
import { GROUPS_VERSION, isGroupPayload, type EnvelopeEvent, type SubscriptionEndedEvent } from '../protocol/frames';

interface SenderCursor {
  lastSeq: number;
  inflight: Set<number>;
  /** everything queued from this sender up to lastSeq has been pushed: new envelopes can be
   *  pushed straight from memory without reading the queue back */
  caughtUp: boolean;
}

interface Subscription {
  conn: Connection;
  phone: string;
  deviceId: number;
  /** unacknowledged envelopes per sender: the gateway's window, or the smaller one the
   *  subscriber asked for (it holds what it was pushed in memory until it acks) */
  window: number;
  /** senders with envelopes pushed and unacknowledged, or possibly waiting in the queue; a
   *  sender with neither is forgotten, so this stays as small as the live backlog */
  senders: Map<string, SenderCursor>;
  /** pushed, unacknowledged envelope -> its sender, to free the right window on ack */
  owner: Map<number, string>;
}

const key = (phone: string, deviceId: number): string => `${phone}/${deviceId}`;
const newCursor = (): SenderCursor => ({ lastSeq: 0, inflight: new Set(), caughtUp: false });

export class DeliveryHub {
  private readonly subs = new Map<string, Subscription>();
  private readonly byConn = new Map<Connection, Set<string>>();

  constructor(
    private readonly queue: QueueStore,
    private readonly window: number,
  ) {}

  /** Subscribe `conn` to a device (taking it over from another connection); returns the queue
   *  length and the window in use. Call `pump` after answering so the envelopes follow the answer. */
  subscribe(conn: Connection, phone: string, deviceId: number, asked?: number): { queued: number; window: number } {
    const k = key(phone, deviceId);
    const previous = this.subs.get(k);
    if (previous && previous.conn !== conn) this.end(phone, deviceId, 'replaced');
    const window = Math.min(asked ?? this.window, this.window);
    this.subs.set(k, { conn, phone, deviceId, window, senders: new Map(), owner: new Map() });
    let set = this.byConn.get(conn);
    if (!set) this.byConn.set(conn, (set = new Set()));
    set.add(k);
    return { queued: this.queue.count(phone, deviceId), window };
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

  /** Push what every sender's window allows to the device's subscriber, if any. Envelopes
   *  are sent in queue order across senders, so a fresh subscription sees the old order. */
  pump(phone: string, deviceId: number): void {
    const sub = this.subs.get(key(phone, deviceId));
    if (!sub) return;
    const batch: { sender: string; seq: number; event: EnvelopeEvent }[] = [];
    for (const sender of this.queue.senders(phone, deviceId)) {
      for (const row of this.take(sub, sender)) batch.push({ sender, ...row });
    }
    batch.sort((x, y) => x.seq - y.seq);
    for (const { sender, seq, event } of batch) this.push(sub, sender, seq, event);
  }

  /** A new envelope was just queued (and committed with this turn): push it if its sender is
   *  caught up and has room, else let the sender's cursor find it in order later. */
  queued(event: EnvelopeEvent): void {
    const { phone, deviceId } = event.recipient;
    const sub = this.subs.get(key(phone, deviceId));
    if (!sub) return;
    const sender = event.sender.phone;
    const cursor = sub.senders.get(sender);
    const seq = Number(event.envelopeId);
    if (sub.conn.version < GROUPS_VERSION && isGroupPayload(event.payload)) return;
    if (cursor?.caughtUp && seq > cursor.lastSeq && cursor.inflight.size < sub.window) {
      this.push(sub, sender, seq, event);
    } else {
      if (cursor) cursor.caughtUp = false;
      this.pumpSender(sub, sender);
    }
  }

  private pumpSender(sub: Subscription, sender: string): void {
    for (const { seq, event } of this.take(sub, sender)) this.push(sub, sender, seq, event);
  }

  /** The next envelopes of one sender that its window has room for (marks how far it read).
   *  Group envelopes are passed over for a version-1 subscriber, which cannot read them: they
   *  stay queued for a later subscription in version 2. */
  private take(sub: Subscription, sender: string): { seq: number; event: EnvelopeEvent }[] {
    let cursor = sub.senders.get(sender);
    if (!cursor) sub.senders.set(sender, (cursor = newCursor()));
    let room = sub.window - cursor.inflight.size;
    if (room <= 0) return [];
    const out: { seq: number; event: EnvelopeEvent }[] = [];
    let readTo = cursor.lastSeq;
    for (;;) {
      const want = room;
      const rows = this.queue.after(sub.phone, sub.deviceId, sender, readTo, want);
      for (const row of rows) {
        readTo = row.seq;
        if (sub.conn.version >= GROUPS_VERSION || !isGroupPayload(row.event.payload)) {
          out.push(row);
          room--;
        }
      }
      cursor.caughtUp = rows.length < want;
      if (cursor.caughtUp || room === 0) break;
    }
    // only passed-over rows: remember how far, so they are not read again for nothing
    if (out.length === 0) cursor.lastSeq = readTo;
    // nothing pushed and nothing left to read: forget the sender; its next envelope starts a
    // fresh cursor, which reads the queue once and finds exactly the unacknowledged ones
    if (out.length === 0 && cursor.inflight.size === 0 && cursor.caughtUp) sub.senders.delete(sender);
    return out;
  }

  private push(sub: Subscription, sender: string, seq: number, event: EnvelopeEvent): void {
    let cursor = sub.senders.get(sender);
    if (!cursor) sub.senders.set(sender, (cursor = newCursor()));
    cursor.lastSeq = seq;
    cursor.inflight.add(seq);
    sub.owner.set(seq, sender);
    sub.conn.send(eventFrame(sub.conn, 'envelope', event));
  }

  acked(phone: string, deviceId: number, seq: number): void {
    const sub = this.subs.get(key(phone, deviceId));
    const sender = sub?.owner.get(seq);
    if (!sub || sender === undefined) return;
    sub.owner.delete(seq);
    const cursor = sub.senders.get(sender);
    if (!cursor?.inflight.delete(seq)) return;
    if (!cursor.caughtUp) {
      // when caught up, nothing of this sender waits in the queue beyond what was pushed
      this.pumpSender(sub, sender);
    } else if (cursor.inflight.size === 0) {
      sub.senders.delete(sender);
    }
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
      sub.conn.send(eventFrame(sub.conn, 'subscription.ended', { device: { phone, deviceId: sub.deviceId }, reason }));
    }
  }

  /** Close every connection (gateway shutdown). */
  connections(): Connection[] {
    return [...this.byConn.keys()];
  }
}
