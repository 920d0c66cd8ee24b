/**
 * Encrypted Matrix events on their way in (security.encryption on): an m.room.encrypted event
 * in a portal is decrypted with a device of the bridge's that was in the room (the portal's
 * ghost first, then the bot) and handed on as if it had come in clear, so the rest of the
 * bridge bridges it as any other. One whose room key has not arrived yet waits for it
 * (src/matrix/awaiting-keys.ts); one that cannot be decrypted is not dropped silently: it is
 * logged (IDs and the reason, never content) and its sender is told in the room, once.
 * When the owner turns encryption on, the ghost's device is made at once, so the owner's
 * client shares the room key of their first encrypted message with it.
 */
import { createHash } from 'node:crypto';
import { noticeContent } from '../convert';
import { line, notice } from '../security/notices';
import type { EncryptedRoomEvent, RoomEncryption } from './crypto/room-encryption';
import { keyMayStillCome, type AwaitingKeys } from './awaiting-keys';
import type { MatrixEvent } from './transaction-intake';

export interface EncryptedIntakeOptions {
  encryption: Pick<RoomEncryption, 'decrypt' | 'ensureDevice'>;
  /** the portal a room is, if any: its owner and its ghost (for a management room: its user and the bot) */
  portalOf(roomId: string): Promise<{ owner: string; ghost: string } | undefined>;
  botUserId: string;
  /** sends a notice as the bot; the same txnId must make the same event (the intake retries) */
  sendNotice(roomId: string, content: Record<string, unknown>, txnId: string): Promise<void>;
  log: { warn(...parts: unknown[]): void };
  /** holds an event whose key may still come; without it, such an event is told at once */
  awaitingKeys?: Pick<AwaitingKeys, 'hold'>;
}

/** Tells the sender in the room, as a reply, that `event` was not delivered; one transaction ID per event. */
export async function tellUndecryptable(
  sendNotice: EncryptedIntakeOptions['sendNotice'], event: EncryptedRoomEvent, reason: string,
): Promise<void> {
  const told = undecryptableNotice(describe(reason));
  const txnId = `mib-undecryptable-${createHash('sha256').update(event.event_id).digest('base64url').slice(0, 32)}`;
  await sendNotice(event.room_id, { ...noticeContent(told.body, told.html), 'm.relates_to': { 'm.in_reply_to': { event_id: event.event_id } } }, txnId);
}

export function undecryptableNotice(reason: string): { body: string; html: string } {
  return notice(
    '⚠️ The bridge could not decrypt a message you sent',
    line(`It was not delivered to the other side (${reason}). Please send it again.`),
    line('If this keeps happening, your client may not trust the bridge\'s devices, or the homeserver does not pass the keys on to the bridge (the admin guide\'s "Encrypted rooms" says what it needs).'),
  );
}

export class EncryptedIntake {
  constructor(private readonly o: EncryptedIntakeOptions) {}

  /** The event to hand on (decrypted, or as it came), or undefined when it was handled here. */
  async reveal(event: MatrixEvent): Promise<MatrixEvent | undefined> {
    const portal = event.room_id ? await this.o.portalOf(event.room_id) : undefined;
    if (!portal) return event;
    if (event.type === 'm.room.encryption' && event.state_key === '') {
      await this.o.encryption.ensureDevice(portal.ghost);
      return event;
    }
    if (event.type !== 'm.room.encrypted' || event.state_key !== undefined || event.sender !== portal.owner) return event;
    const encrypted = { ...event, content: event.content ?? {} } as EncryptedRoomEvent;
    const result = await this.o.encryption.decrypt(encrypted, [portal.ghost, this.o.botUserId]);
    if (result.ok) return { ...event, type: result.type, content: result.content };
    if (this.o.awaitingKeys && keyMayStillCome(result.reason)) {
      await this.o.awaitingKeys.hold(encrypted, result.reason);
      return undefined;
    }
    this.o.log.warn(`could not decrypt ${event.event_id} in ${event.room_id}: ${result.reason}; its sender is told`);
    await tellUndecryptable(this.o.sendNotice, encrypted, result.reason);
    return undefined;
  }
}

function describe(reason: string): string {
  if (reason === 'MissingRoomKey' || reason.startsWith('no bridge device')) return 'the key for it never reached the bridge';
  if (reason === 'UnknownMessageIndex') return 'the bridge got its key only for later messages';
  if (reason === 'MismatchedSender' || reason === 'MismatchedIdentityKeys') return 'its key did not come from a device of yours';
  // security.trust.accept_messages_from: cross_signed_devices
  if (reason === 'UnsignedSenderDevice' || reason === 'UnknownSenderDevice') return 'it came from a device you have not verified (cross-signed), and this bridge accepts messages only from verified devices';
  return `decryption failed: ${reason}`;
}
