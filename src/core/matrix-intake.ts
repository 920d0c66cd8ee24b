/**
 * Matrix → core for portal rooms: the owner's messages, reactions and redactions go to the
 * outbox; read receipts and typing become remote signals; turning on encryption is noted
 * (with security.encryption off the bridge cannot read encrypted rooms, and says so rather
 * than pretend; on, their events reach this already decrypted: src/matrix/encrypted-intake.ts).
 */
import { readMarksFromReceipt, typingUserIds, type MatrixRoomEvent } from '../convert';
import type { E164 } from '../network/phone';
import type { PortalRecord } from '../store';
import type { Inbox } from './inbox';
import type { CoreContext } from './context';
import type { Outbox } from './outbox';
import type { SecurityKeeper } from './security-keeper';
import { encryptionEnabledNotice } from '../security/notices';

/** A join that follows a join with another name or avatar: the user changed their profile
 *  (or their name in this room; ProfileShare compares with the global profile). */
function profileMayHaveChanged(event: MatrixRoomEvent & { unsigned?: unknown }): boolean {
  const prev = (event.unsigned as { prev_content?: Record<string, unknown> } | undefined)?.prev_content;
  if (!prev || prev.membership !== 'join') return false;
  return prev.displayname !== event.content.displayname || prev.avatar_url !== event.content.avatar_url;
}

const BRIDGED_TYPES = new Set([
  'm.room.message', 'm.sticker', 'm.reaction', 'm.room.redaction',
  'm.poll.start', 'org.matrix.msc3381.poll.start', 'm.room.encrypted',
]);

export class MatrixIntake {
  /** who is typing in each portal room, to send only changes */
  private readonly typing = new Map<string, boolean>();

  constructor(
    private readonly ctx: CoreContext,
    private readonly outbox: Outbox,
    private readonly security: SecurityKeeper,
    private readonly inbox: Inbox,
    /** the owner's name or avatar may have changed (their member event in a portal) */
    private readonly onOwnerProfile: (owner: string) => void = () => undefined,
  ) {}

  /** Handles an event if it belongs to a portal; returns false if the room is no portal. */
  async onEvent(raw: Omit<MatrixRoomEvent, 'content'> & { content?: Record<string, unknown> }): Promise<boolean> {
    if (!raw.room_id) return false;
    const event: MatrixRoomEvent & { unsigned?: unknown } = { ...raw, content: raw.content ?? {} };
    const portal = await this.ctx.store.portals.byRoom(raw.room_id);
    if (!portal) return false;
    // whoever turned it on (the homeserver may encrypt new rooms by default, as the creator)
    if (event.type === 'm.room.encryption' && event.state_key === '') {
      await this.onEncryptionEnabled(portal, raw.room_id);
      return true;
    }
    if (!event.sender || this.ctx.matrix.isBridgeUser(event.sender)) return true;
    if (event.type === 'm.room.member' && event.state_key === portal.owner && ['leave', 'ban'].includes(String(event.content.membership))) {
      await this.onOwnerLeft(portal, raw.room_id);
      return true;
    }
    if (event.sender !== portal.owner) return true;
    if (event.type === 'm.room.member' && event.state_key === portal.owner && event.content.membership === 'join' && profileMayHaveChanged(event)) {
      this.onOwnerProfile(portal.owner);
      return true;
    }
    if (BRIDGED_TYPES.has(event.type) && event.event_id && event.state_key === undefined) {
      // everything, for an admin tracing a problem; the logger hides the ghost's number and the
      // content unless logging.redact is off
      this.ctx.log.debug(`${event.type} ${event.event_id} in ${raw.room_id} to the outbox`, { contact: portal.contact, content: event.content });
      await this.outbox.accept(portal, event as MatrixRoomEvent & { event_id: string });
    }
    return true;
  }

  async onEphemeral(event: { type: string; room_id?: string; content?: unknown }): Promise<void> {
    if (!event.room_id) return;
    const portal = await this.ctx.store.portals.byRoom(event.room_id);
    if (!portal) return;
    const session = this.ctx.session(portal.owner);
    if (!session) return;
    const contact = portal.contact as E164;
    if (event.type === 'm.receipt') {
      const ids: string[] = [];
      for (const mark of readMarksFromReceipt(event.content)) {
        if (mark.userId !== portal.owner) continue;
        const m = await this.ctx.store.messages.byEvent(event.room_id, mark.eventId);
        if (m !== undefined && m.sender === contact) ids.push(m.remoteId);
      }
      if (ids.length > 0) await session.sendReadStatus(contact, [...new Set(ids)]).catch((e: Error) => this.ctx.log.warn(`read status not sent: ${e.message}`));
    } else if (event.type === 'm.typing') {
      const typing = typingUserIds(event.content).includes(portal.owner);
      if (this.typing.get(event.room_id) === typing) return;
      this.typing.set(event.room_id, typing);
      await session.sendTyping(contact, typing).catch((e: Error) => this.ctx.log.warn(`typing not sent: ${e.message}`));
    }
  }

  /**
   * The owner left the portal (or was banned): the room is given up, the ghost and the bot
   * leave it, and the contact's next message opens a new portal. Nothing is lost: the
   * network keeps delivering, and a new room is made for it.
   */
  private async onOwnerLeft(portal: PortalRecord, roomId: string): Promise<void> {
    const { store, matrix, log } = this.ctx;
    // before the room is forgotten: an outage here answers the transaction 500, and the retry
    // finds the portal again
    await this.inbox.remove(portal.owner, roomId);
    await store.portals.setRoom(portal.owner, portal.contact, null);
    log.info(`${portal.owner} left portal ${roomId}; the next message opens a new one`);
    for (const user of [matrix.ghostUserId(portal.contact), matrix.botUserId]) {
      await matrix.leave(user, roomId).catch((error: Error) => log.warn(`${user} could not leave ${roomId}: ${error.message}`));
    }
  }

  /**
   * Idempotent, because a failure answers the transaction 500 and the homeserver retries it:
   * the notice goes out until the room state published says "encrypted" (at least once), and
   * the state is brought up to date on every retry.
   */
  async onEncryptionEnabled(portal: PortalRecord, roomId: string): Promise<void> {
    const published = portal.securitySummary ? (JSON.parse(portal.securitySummary) as { matrix_room_encrypted?: boolean }) : undefined;
    if (portal.encrypted && published?.matrix_room_encrypted === true) return;
    if (!portal.encrypted) await this.ctx.store.portals.setEncrypted(portal.owner, portal.contact, true);
    if (published?.matrix_room_encrypted !== true) await this.security.notice(roomId, encryptionEnabledNotice(this.ctx.config.security.encryption !== 'off'));
    await this.security.updateRoomState(portal.owner, portal.contact);
  }
}
