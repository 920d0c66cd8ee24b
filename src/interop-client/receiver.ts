/**
 * Inbound envelopes of one local device: decrypts (or reads plaintext), validates the content,
 * and hands typed deliveries to the consumer with an `ack()` that removes the envelope from
 * the gateway's queue (acks of one turn travel together: envelope-acks.ts). Envelopes are
 * processed one at a time, each sender's in the order they arrive; senders the sink prefers
 * (contacts the user chats with) go before a backlog from the rest (envelope-lanes.ts), and
 * the event loop turns between envelopes, so the socket is read while a backlog is worked through.
 *
 * Decrypted plaintext is kept in the PendingPlaintextStore until the ack, written in the same
 * transaction as the ratchet step (signal/staged-writes.ts): the ratchet has moved, so an
 * envelope redelivered after a crash could not be decrypted again.
 *
 * While the consumer holds a delivery, a redelivery of the same envelope (the gateway
 * redelivers everything unacknowledged on each new subscription) is not handed over again.
 * A delivery the consumer gives back with `release()` is: the next redelivery in this
 * process reaches the consumer, as it would after a restart.
 */
import { isGroupPayload, type EnvelopeEvent, type EnvelopeMessagePayload } from '../protocol/frames';
import type { GroupReceiver } from './group-receiver';
import { parseContent } from '../protocol/validate';
import type { InteropConnection } from './connection';
import { EnvelopeAcks } from './envelope-acks';
import { EnvelopeLanes } from './envelope-lanes';
import { DuplicateMessageError, type SignalSessions } from './signal/sessions';
import { fromBase64 } from './sodium';
import type { PendingPlaintextStore } from './signal/stores';
import type { Delivery, IncomingMessage, IncomingStatus, UnreadableMessage } from './types';

/** resolves in the event loop's check phase, after the socket reads that were due */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface ReceiverSink {
  message(m: IncomingMessage): void;
  status(s: IncomingStatus): void;
  unreadable(u: UnreadableMessage): void;
  warning(err: Error): void;
  /** whether `phone`'s envelopes go before those of other senders (a contact the user chats with) */
  preferred?(phone: string): boolean;
}

export class InboundReceiver {
  private readonly lanes = new EnvelopeLanes<EnvelopeEvent>();
  /** the loop working through the lanes, while they hold anything */
  private pumping: Promise<void> | undefined;
  /** envelopes the consumer holds (handed over, neither acknowledged nor released): a
   *  redelivery of one of them (after a reconnect) is not handed over a second time */
  private readonly inFlight = new Set<string>();
  /** acks of one turn leave together, as one envelope.ack_many */
  private readonly acks: EnvelopeAcks;

  constructor(
    conn: InteropConnection,
    private readonly phone: string,
    private readonly deviceId: number,
    private readonly sessions: SignalSessions | undefined,
    private readonly pending: PendingPlaintextStore,
    private readonly sink: ReceiverSink,
    private readonly autoAck: boolean,
    /** group envelopes (protocol version 2); a version-1 connection never receives any */
    private readonly groups?: GroupReceiver,
  ) {
    this.acks = new EnvelopeAcks(conn, phone, deviceId, (message) => this.sink.warning(new Error(message)));
  }

  enqueue(ev: EnvelopeEvent): void {
    if (ev.recipient.phone !== this.phone || ev.recipient.deviceId !== this.deviceId) return;
    this.lanes.push(ev, ev.sender.phone, this.isPreferred(ev.sender.phone));
    // started on a later tick, as a chained promise would: enqueue never calls the sink itself
    this.pumping ??= Promise.resolve().then(() => this.pump());
  }

  /** resolves when everything enqueued so far has been handed over */
  idle(): Promise<void> {
    return this.pumping ?? Promise.resolve();
  }

  private isPreferred(phone: string): boolean {
    try {
      return this.sink.preferred?.(phone) ?? false;
    } catch (err) {
      // a failing look-up only costs the envelope its place in line, never the envelope
      this.sink.warning(new Error(`sender priority unknown, envelope queued as any other: ${(err as Error).message}`));
      return false;
    }
  }

  private async pump(): Promise<void> {
    try {
      for (let ev = this.lanes.shift(); ev; ev = this.lanes.shift()) {
        const current = ev;
        await this.process(current).catch((err: Error) => this.sink.warning(new Error(`envelope ${current.envelopeId}: ${err.message}`)));
        // Let the event loop turn before the next one. Processing an envelope awaits only
        // promises that are already settled (the stores are synchronous SQLite), so without
        // this a backlog is worked through in one turn: no socket is read until it is done,
        // and a contact's envelope that arrives meanwhile cannot reach the preferred lane
        // (measured under the flood of tests/e2e/request-flood.test.ts: the bridge's event
        // loop blocked up to 395 ms, the contact's frame read 109 ms after it was written).
        await nextTurn();
      }
    } finally {
      this.pumping = undefined;
    }
  }

  private makeAck(envelopeId: string): { ack: () => Promise<void>; release: () => void } {
    let done: Promise<void> | undefined;
    let acked = false;
    const ack = () => {
      done ??= (async () => {
        await this.acks.ack(envelopeId);
        acked = true;
        await this.pending.delete(envelopeId);
        this.inFlight.delete(envelopeId);
      })();
      done.catch(() => {
        done = undefined; // allow the consumer to try again
      });
      return done;
    };
    // given back unacknowledged: the next redelivery is handed over again
    const release = () => {
      if (!acked) this.inFlight.delete(envelopeId);
    };
    return { ack, release };
  }

  private base(ev: EnvelopeEvent): Delivery {
    return { envelopeId: ev.envelopeId, sender: ev.sender, serverTimestamp: ev.serverTimestamp, ...this.makeAck(ev.envelopeId) };
  }

  private async process(ev: EnvelopeEvent): Promise<void> {
    if (this.inFlight.has(ev.envelopeId)) return;
    const payload = ev.payload;
    if (payload.kind === 'status') {
      await this.deliver(ev, () => this.sink.status({ ...this.base(ev), status: payload.status, messageIds: payload.messageIds }));
      return;
    }
    if (isGroupPayload(payload)) {
      if (!this.groups) throw new Error(`${payload.kind} envelope without group support`);
      await this.groups.process(ev, payload, {
        base: () => this.base(ev),
        deliver: (hand) => this.deliver(ev, hand),
        ackNow: () => this.makeAck(ev.envelopeId).ack(),
      });
      return;
    }
    const plaintext = await this.open(ev, payload);
    if (plaintext === 'duplicate') {
      // Decrypted and acknowledged before; the gateway just did not record the ack.
      await this.makeAck(ev.envelopeId).ack();
      return;
    }
    if (plaintext instanceof Error) {
      await this.deliver(ev, () =>
        this.sink.unreadable({
          ...this.base(ev), reason: 'decrypt_failed', error: plaintext.message, clientMessageId: payload.clientMessageId,
          encrypted: payload.type !== 'plaintext',
        }),
      );
      return;
    }
    const parsed = parseContent(plaintext);
    if (!parsed.ok) {
      await this.deliver(ev, () =>
        this.sink.unreadable({
          ...this.base(ev), reason: 'invalid_content', error: parsed.error, clientMessageId: payload.clientMessageId,
          encrypted: payload.type !== 'plaintext',
        }),
      );
      return;
    }
    await this.deliver(ev, () =>
      this.sink.message({
        ...this.base(ev),
        content: parsed.content,
        encrypted: payload.type !== 'plaintext',
        clientMessageId: payload.clientMessageId,
      }),
    );
  }

  private async deliver(ev: EnvelopeEvent, hand: () => void): Promise<void> {
    this.inFlight.add(ev.envelopeId);
    hand();
    // Not awaited: the next envelope need not wait for this ack's round trip.
    if (this.autoAck) this.makeAck(ev.envelopeId).ack().catch((err: Error) => this.sink.warning(err));
  }

  private async open(ev: EnvelopeEvent, payload: EnvelopeMessagePayload): Promise<Uint8Array | Error | 'duplicate'> {
    const kept = await this.pending.get(ev.envelopeId);
    if (kept) return kept;
    try {
      if (payload.type === 'plaintext') return fromBase64(payload.body, 'plaintext body');
      if (!this.sessions) return new Error('encrypted message received by an account without end-to-end encryption');
      return await this.sessions.decrypt(ev.sender.phone, ev.sender.deviceId, payload.type, payload.body, ev.envelopeId);
    } catch (err) {
      if (err instanceof DuplicateMessageError) return 'duplicate';
      // A failing local database is not the message's fault: leave it queued (no ack) so it
      // comes back on the next subscription, instead of reporting it unreadable.
      if (err instanceof Error && err.name === 'SqliteError') throw err;
      return err instanceof Error ? err : new Error(String(err));
    }
  }
}
