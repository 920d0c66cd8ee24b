/**
 * Unreadable remote messages, one notice per contact and window. Each unreadable message used
 * to get a notice of its own, and a contact sending thousands (garbage inside valid
 * ciphertexts) kept the room's queue busy for minutes, one homeserver send each. Now the
 * first of a stretch gets the full notice, the rest within `unreadable_notice_window_ms` are counted
 * in the store, and one summary says how many when the window ends (or at the next start after
 * a crash). Readable messages in between go on as usual: a summary before each of them would
 * cost a homeserver send per readable message of a mixed flood, which is what this avoids.
 *
 * Counting happens before the network is acknowledged: a crash between the two counts that
 * message again when it is redelivered (a summary may say one more than arrived; none is
 * left out).
 */
import { wellFormed } from '../convert';
import { displayPhone, type E164 } from '../network/phone';
import type { CoreContext } from './context';
import { unreadableNotice, unreadableSummaryNotice } from './remote-notices';
import { remoteTxnId } from './remote-txn-id';
import type { SecurityKeeper } from './security-keeper';

export interface Unreadable {
  from: E164;
  reason: string;
  encrypted: boolean;
  messageId?: string;
}

export class UnreadableStreaks {
  constructor(
    private readonly ctx: CoreContext,
    private readonly security: SecurityKeeper,
    private readonly owner: string,
    private readonly roomOf: (contact: E164) => Promise<string>,
  ) {}

  /**
   * Reports one unreadable message: a notice, or a count in the open stretch. Returns when the
   * stretch's summary is due, if this message was only counted (the caller arranges a flush).
   */
  async report(message: Unreadable, now = Date.now()): Promise<number | undefined> {
    const { store } = this.ctx;
    const window = this.ctx.config.bridge.delivery.unreadable_notice_window_ms;
    const streak = await store.unreadable.get(this.owner, message.from);
    if (streak && now - streak.startedAt < window) {
      await store.unreadable.suppress(this.owner, message.from);
      return streak.startedAt + window;
    }
    const earlier = streak && streak.suppressed > 0 ? { count: streak.suppressed, since: streak.startedAt } : undefined;
    const notice = wellFormed(unreadableNotice(displayPhone(message.from), message.reason, earlier));
    const txn = message.messageId === undefined ? undefined : remoteTxnId(this.owner, message.from, message.messageId, 'unreadable');
    await this.send(message.from, notice, message.encrypted, txn);
    await store.unreadable.start(this.owner, message.from, now);
    return undefined;
  }

  /** Sends the summary of what a contact's stretch counted, if anything; the stretch ends. */
  async flush(contact: E164): Promise<void> {
    const { store } = this.ctx;
    const streak = await store.unreadable.get(this.owner, contact);
    if (!streak || streak.suppressed === 0) return;
    const notice = wellFormed(unreadableSummaryNotice(displayPhone(contact), streak.suppressed, streak.startedAt, Date.now()));
    // one Matrix event per summary, however often a retry sends it: the stretch and how many
    // it has counted in all name it
    const txn = remoteTxnId(this.owner, contact, `unreadable-summary:${streak.startedAt}`, streak.reported + streak.suppressed);
    // it stands for several messages that may have crossed differently: it claims no protection
    await this.send(contact, notice, false, txn);
    await store.unreadable.summarised(this.owner, contact);
  }

  /** Contacts whose stretch still owes a summary (after a restart). */
  async unreported(): Promise<E164[]> {
    return (await this.ctx.store.unreadable.unreported(this.owner)).map((s) => s.contact as E164);
  }

  private async send(contact: E164, notice: object, encrypted: boolean, txn?: string): Promise<void> {
    const roomId = await this.roomOf(contact);
    // how it really crossed the network, not the worst case
    const trail = await this.security.remoteTrail(this.owner, contact, encrypted);
    const { matrix } = this.ctx;
    await matrix.sendEvent(matrix.botUserId, roomId, 'm.room.message', this.security.mark(notice as Record<string, unknown>, trail), txn);
  }
}
