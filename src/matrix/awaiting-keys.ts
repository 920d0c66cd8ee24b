/**
 * Encrypted Matrix events whose room key has not reached the bridge yet. A client sends the
 * room key (a to-device message) and the room event separately, and Synapse may put them into
 * different appservice transactions, the event first. Such an event is held here, durably
 * (the store's `awaitingKeys`: ciphertext, as it came), and tried again whenever a
 * transaction brought to-device messages and at start. One that decrypts is handed on as a
 * live decrypted event would be, late: later messages of its room were bridged before it
 * (holding the room back for a key that may never come would stall it). One whose key has
 * not come after `timeoutMs` is told to its sender in the room and dropped, and so is the
 * oldest one when more than `max` are held: nothing is dropped without telling.
 *
 * Exactly once: the intake marks the event handled once it is held, so a redelivered
 * transaction skips it; a held event is released only after it was handed on, and a crash in
 * between hands it on again after the restart, which core's outbox ignores (one job per
 * source event ID, kept for good). The notice's transaction ID is the event's, so telling
 * twice shows once. All of it runs one step at a time, so a retry and a time-out never
 * handle the same event at once.
 */
import { KeyedQueue } from '../lib/keyed-queue';
import type { AwaitingKeyEvent, AwaitingKeyRepository } from '../store';
import type { Decryption, EncryptedRoomEvent, RoomEncryption } from './crypto/room-encryption';
import type { MatrixEvent } from './transaction-intake';

/** crypto-wasm's codes for "the key is not here (yet)"; any other failure is final */
const KEY_MAY_STILL_COME = new Set(['MissingRoomKey', 'UnknownMessageIndex']);

/** held events at most: beyond it the oldest is told and dropped (a flood cannot fill the disk) */
export const MAX_AWAITING_KEYS = 200;

/** after a notice that could not be sent (homeserver down), the next attempt */
const TELL_AGAIN_MS = 30_000;

export function keyMayStillCome(reason: string): boolean {
  return KEY_MAY_STILL_COME.has(reason);
}

export interface AwaitingKeysOptions {
  repository: AwaitingKeyRepository;
  encryption: Pick<RoomEncryption, 'decrypt'>;
  /** the portal a room is, if any: its owner and its ghost */
  portalOf(roomId: string): Promise<{ owner: string; ghost: string } | undefined>;
  botUserId: string;
  /** hands a decrypted event on, as the intake does a live one (core, then the bot) */
  deliver(event: MatrixEvent): Promise<void>;
  /** tells the sender in the room that the event was not delivered (undecryptableNotice, one txnId per event) */
  tell(event: EncryptedRoomEvent, reason: string): Promise<void>;
  timeoutMs: number;
  max?: number;
  now?: () => number;
  /** runs `fn` after `delayMs`; returns a cancel (default: an unref'd setTimeout) */
  schedule?: (fn: () => void, delayMs: number) => () => void;
  log: { info(...parts: unknown[]): void; warn(...parts: unknown[]): void };
}

function unrefTimer(fn: () => void, delayMs: number): () => void {
  const timer = setTimeout(fn, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
}

export class AwaitingKeys {
  private readonly queue = new KeyedQueue();
  private readonly max: number;
  private readonly now: () => number;
  private readonly schedule: (fn: () => void, delayMs: number) => () => void;
  private cancelTimer: (() => void) | undefined;
  /** no time-out before this (set at start: keys may be in the transactions the homeserver kept meanwhile) */
  private notBefore = 0;
  private stopped = false;

  constructor(private readonly o: AwaitingKeysOptions) {
    this.max = o.max ?? MAX_AWAITING_KEYS;
    this.now = o.now ?? Date.now;
    this.schedule = o.schedule ?? unrefTimer;
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    return this.queue.run('awaiting-keys', task);
  }

  /**
   * Holds an event that failed with a reason keyMayStillCome() accepts. Throws when the
   * oldest held event must make room and its sender cannot be told (the transaction is then
   * answered 500 and retried), so the cap holds without dropping anything untold.
   */
  async hold(event: EncryptedRoomEvent, reason: string): Promise<void> {
    await this.serial(async () => {
      if (await this.o.repository.hold({ eventId: event.event_id, roomId: event.room_id, event, reason, heldAt: this.now() })) {
        this.o.log.info(`could not decrypt ${event.event_id} in ${event.room_id} yet (${reason}): held until its key arrives`);
      }
      // after holding it: a retry of this transaction (after a notice failed) finds it held and makes room again
      const over = await this.o.repository.count() - this.max;
      for (const oldest of over > 0 ? await this.o.repository.oldest(over) : []) {
        await this.o.tell(oldest.event as EncryptedRoomEvent, oldest.reason);
        await this.o.repository.release(oldest.eventId);
        this.o.log.warn(`told the sender of ${oldest.eventId} in ${oldest.roomId} that it was not delivered: more than ${this.max} events wait for keys (${oldest.reason})`);
      }
      await this.arm(false);
    });
  }

  /** Tries every held event again (after a transaction brought room keys; at start). Never throws for one event. */
  async retry(): Promise<void> {
    await this.serial(async () => {
      try {
        for (const held of (await this.o.repository.oldest(this.max))) await this.attempt(held, false);
      } finally {
        await this.arm(false);
      }
    });
  }

  /** Tells and drops the held events whose time is up (after one last try); the timer calls it. */
  async expire(): Promise<void> {
    await this.serial(async () => {
      try {
        const now = this.now();
        for (const held of (await this.o.repository.oldest(this.max))) {
          if (this.deadline(held) <= now) await this.attempt(held, true);
        }
      } finally {
        // a time-out still due now is one whose notice failed: not again at once
        await this.arm(true);
      }
    });
  }

  /** Resumes what the last run held: tried again now, timed out no sooner than `timeoutMs` from now. */
  async start(): Promise<void> {
    this.notBefore = this.now() + this.o.timeoutMs;
    await this.retry();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    await this.queue.idle();
  }

  private deadline(held: AwaitingKeyEvent): number {
    return Math.max(held.heldAt + this.o.timeoutMs, this.notBefore);
  }

  /** One try: handed on and released if it decrypts; told and released if it never will (or `final`); else kept. */
  private async attempt(held: AwaitingKeyEvent, final: boolean): Promise<void> {
    const what = `${held.eventId} in ${held.roomId}`;
    const portal = await this.o.portalOf(held.roomId);
    if (!portal) {
      // the owner left and the bridge with them: no one in the room to tell
      await this.o.repository.release(held.eventId);
      this.o.log.warn(`dropped ${what}, which waited for its key: the room is no portal any more`);
      return;
    }
    const event = held.event as EncryptedRoomEvent;
    try {
      const result = await this.decrypt(event, [portal.ghost, this.o.botUserId], what, final);
      if (result.ok) {
        await this.o.deliver({ ...(event as MatrixEvent), type: result.type, content: result.content });
        await this.o.repository.release(held.eventId);
        this.o.log.info(`decrypted ${what} ${Math.round((this.now() - held.heldAt) / 1000)} s after it came, once its key arrived; bridged late`);
        return;
      }
      if (!final && keyMayStillCome(result.reason)) return;
      await this.o.tell(event, result.reason);
      await this.o.repository.release(held.eventId);
      this.o.log.warn(`could not decrypt ${what}: ${final ? `its key did not arrive within ${this.o.timeoutMs / 1000} s` : 'it never will'} (${result.reason}); its sender is told`);
    } catch (error) {
      // kept: the next transaction with keys, or the time-out, tries again
      this.o.log.warn(`${what} waits on for its key: this attempt failed (${(error as Error).message})`);
    }
  }

  /** A crypto failure (thrown) keeps the event for the next try; on the last try it counts as "no key", so the sender is told. */
  private async decrypt(event: EncryptedRoomEvent, readers: string[], what: string, final: boolean): Promise<Decryption> {
    try {
      return await this.o.encryption.decrypt(event, readers);
    } catch (error) {
      if (!final) throw error;
      this.o.log.warn(`the last attempt to decrypt ${what} failed (${(error as Error).message})`);
      return { ok: false, reason: 'MissingRoomKey' };
    }
  }

  /** One timer for the earliest time-out; one already due waits TELL_AGAIN_MS after a pass that could not tell it. */
  private async arm(afterExpiry: boolean): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (this.stopped) return;
    const [first] = await this.o.repository.oldest(1);
    if (!first) return;
    const now = this.now();
    const due = this.deadline(first);
    const delay = due > now ? due - now : afterExpiry ? TELL_AGAIN_MS : 0;
    this.cancelTimer = this.schedule(() => {
      this.expire().catch((error: Error) => this.o.log.warn(`time-outs of events waiting for keys not handled now, tried again later: ${error.message}`));
    }, delay);
  }
}
