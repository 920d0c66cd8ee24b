/**
 * security.encryption: require, on the Matrix side: which rooms the bridge never sends plaintext
 * into (portals and management rooms; the port turns encryption on in one that lacks it, src/matrix/appservice-port.ts),
 * whom it tells when it cannot, and the refusal of events that arrive in plaintext there. Such an
 * event is not bridged (the homeserver has already read it, and the admin chose that nothing
 * travels so) and its sender is told, once per event, in a reply; sending that reply turns
 * encryption on in the room, so their next message is encrypted.
 */
import { createHash } from 'node:crypto';
import { noticeContent } from '../convert';
import { isPermanent } from '../core/errors';
import { line, notice } from '../security/notices';
import type { MatrixEvent } from './transaction-intake';

/** What the port asks (src/matrix/appservice-port.ts): the rooms it must never send plaintext
 *  into, and whom to tell when it could not turn encryption on in one. */
export interface RequiredEncryption {
  applies(roomId: string): Promise<boolean>;
  /** tells the room's owner (once); never rejects: a failure to tell is logged */
  cannotEncrypt(roomId: string, error: Error): Promise<void>;
}

export interface EncryptionRequirementOptions {
  /** the Matrix user a portal or management room is of, if the room is one */
  ownerOf(roomId: string): Promise<string | undefined>;
  managementRoomOf(owner: string): Promise<string | undefined>;
  isBridgeUser(mxid: string): boolean;
  /** sends a notice as the bot; the same txnId must make the same event (the intake retries) */
  sendNotice(roomId: string, content: Record<string, unknown>, txnId?: string): Promise<void>;
  log: { warn(...parts: unknown[]): void };
}

/** Timeline events a client does not encrypt in an encrypted room. */
const NEVER_ENCRYPTED = new Set(['m.room.encrypted', 'm.room.redaction']);

export function plaintextRefusedNotice(): { body: string; html: string } {
  return notice(
    '⚠️ Your message was not delivered: this bridge accepts only encrypted messages',
    line('It arrived unencrypted, so the bridge did not pass it on. The bridge has turned encryption on in this room; please send it again.'),
  );
}

export function cannotEncryptNotice(): { body: string; html: string } {
  return notice(
    '⚠️ The bridge could not turn encryption on in one of your chats',
    line('This bridge sends nothing unencrypted, so messages for that chat are not delivered there (the sender sees them as not delivered). Check that the bridge\'s bot may change the room\'s encryption setting.'),
  );
}

export class EncryptionRequirement implements RequiredEncryption {
  /** rooms whose owner was told that encryption could not be turned on, in this process */
  private readonly told = new Set<string>();

  constructor(private readonly o: EncryptionRequirementOptions) {}

  async applies(roomId: string): Promise<boolean> {
    return (await this.o.ownerOf(roomId)) !== undefined;
  }

  async cannotEncrypt(roomId: string, error: Error): Promise<void> {
    this.o.log.warn(`encryption could not be turned on in ${roomId} (${error.message}); nothing is sent there`);
    let room;
    try {
      const owner = await this.o.ownerOf(roomId);
      room = owner === undefined ? undefined : await this.o.managementRoomOf(owner);
    } catch (failed) {
      this.o.log.warn(`the owner of ${roomId} could not be told that encryption is off there (tried again with the next attempt): ${(failed as Error).message}`);
      return;
    }
    // once per room: every retry of a held message would tell again (and a management room
    // that cannot be encrypted either would otherwise recurse); the management room itself
    // cannot be told
    if (!room || room === roomId || this.told.has(roomId)) return;
    this.told.add(roomId);
    const told = cannotEncryptNotice();
    this.o.sendNotice(room, noticeContent(told.body, told.html)).catch((failed: Error) => {
      // not told after all: the next retry of the held message tries again
      this.told.delete(roomId);
      this.o.log.warn(`the owner of ${roomId} could not be told that encryption is off there (tried again with the next attempt): ${failed.message}`);
    });
  }

  /** True when `event` came in plaintext into a room that requires encryption: not bridged, its sender told. */
  async refusesPlaintext(event: MatrixEvent): Promise<boolean> {
    if (!event.room_id || !event.event_id || event.state_key !== undefined || !event.sender) return false;
    if (NEVER_ENCRYPTED.has(event.type) || this.o.isBridgeUser(event.sender) || !(await this.applies(event.room_id))) return false;
    this.o.log.warn(`${event.event_id} in ${event.room_id} came unencrypted (${event.type}); not bridged, its sender is told`);
    const told = plaintextRefusedNotice();
    const txnId = `mib-plaintext-${createHash('sha256').update(event.event_id).digest('base64url').slice(0, 32)}`;
    try {
      await this.o.sendNotice(event.room_id, { ...noticeContent(told.body, told.html), 'm.relates_to': { 'm.in_reply_to': { event_id: event.event_id } } }, txnId);
    } catch (error) {
      // an outage: the transaction fails and is retried. A refusal (encryption cannot be turned
      // on there) would be refused again on every retry and hold up all intake: the event stays
      // unbridged, the log says so, and for a portal its owner was told in the management room
      if (!isPermanent(error)) throw error;
      this.o.log.warn(`the sender of ${event.event_id} in ${event.room_id} could not be told it was not bridged: ${(error as Error).message}`);
    }
    return true;
  }
}
