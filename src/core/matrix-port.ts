/**
 * What core needs from the Matrix side, as an interface: matrix/ implements it with the
 * appservice's intents, so core never touches the Matrix SDK directly.
 */
import type { EncryptedFile } from '../convert/matrix-types';

export interface PortalRoomSpec {
  /** ghost that creates the room and is the contact in it */
  ghost: string;
  /** the Matrix user the portal belongs to, invited as to a DM */
  invitee: string;
  name?: string;
  topic?: string;
  /** state events put into the room at creation: [type, state_key, content] */
  initialState: [string, string, Record<string, unknown>][];
}

/** A Space the bot owns for one user (their "Third-party chats" inbox). */
export interface SpaceSpec {
  owner: string;
  name: string;
  topic: string;
}

/** Where a room's media went: an mxc:// URI (a plain room), or, in an encrypted room, the
 *  event's `file` (the ciphertext's URI with its key, IV and hash). */
export type RoomMedia = string | { file: EncryptedFile };

export interface DownloadedMedia {
  bytes: Uint8Array;
  mimeType?: string;
}

export interface MatrixPort {
  readonly botUserId: string;
  /** the ghost user ID for a remote phone number */
  ghostUserId(phone: string): string;
  /** whether a Matrix user is one of the bridge's own (bot or ghost) */
  isBridgeUser(mxid: string): boolean;
  setGhostProfile(ghost: string, profile: { displayName?: string; avatarMxc?: string }): Promise<void>;
  /** a Matrix user's global profile, as the bot reads it */
  userProfile(user: string): Promise<{ displayName?: string; avatarMxc?: string }>;
  createPortalRoom(spec: PortalRoomSpec): Promise<string>;
  /** creates a Space (room type m.space) as the bot, with `owner` invited; returns its ID */
  createSpace(spec: SpaceSpec): Promise<string>;
  /** sets `user`'s m.direct account data: Matrix user → their direct rooms with `user` */
  setDirectRooms(user: string, direct: Record<string, string[]>): Promise<void>;
  /** makes sure `user` (bot or ghost) is joined, re-inviting it with `inviter` if needed */
  ensureJoined(user: string, roomId: string, inviter: string): Promise<void>;
  invite(asUser: string, roomId: string, invitee: string): Promise<void>;
  leave(asUser: string, roomId: string): Promise<void>;
  /** a user's membership in a room as the bot sees it ('join', 'invite', 'leave', …), if any */
  membership(roomId: string, userId: string): Promise<string | undefined>;
  /** sends an event; with `txnId`, a repeat of the same send yields the same event (idempotent);
   *  `ts` (appservice timestamp massaging) dates the event when it was really sent, for a
   *  message the bridge could deliver only late */
  sendEvent(asUser: string, roomId: string, eventType: string, content: object, txnId?: string, options?: { ts?: number }): Promise<string>;
  setState(asUser: string, roomId: string, eventType: string, stateKey: string, content: Record<string, unknown>): Promise<void>;
  /** `extra` goes into the redaction event's content (the hop trail, say) */
  redact(asUser: string, roomId: string, eventId: string, reason?: string, extra?: Record<string, unknown>): Promise<void>;
  uploadMedia(asUser: string, bytes: Uint8Array, mimeType: string, fileName?: string): Promise<string>;
  /** media for an event in `roomId`: uploaded as is into a plain room, encrypted first
   *  (ciphertext uploaded, no file name) into a room the port sends encrypted events to */
  uploadRoomMedia(asUser: string, roomId: string, bytes: Uint8Array, mimeType: string, fileName?: string): Promise<RoomMedia>;
  downloadMedia(mxcUrl: string): Promise<DownloadedMedia>;
  /** the plaintext of a downloaded encrypted file (an event's `file`); a file that fails its
   *  hash or whose encryption info is unusable throws PermanentDeliveryError */
  decryptMedia(ciphertext: Uint8Array, file: unknown): Promise<Uint8Array>;
  setTyping(asUser: string, roomId: string, typing: boolean, timeoutMs: number): Promise<void>;
  sendReadReceipt(asUser: string, roomId: string, eventId: string): Promise<void>;
  /** whether the room has m.room.encryption state (the homeserver may add it to new rooms) */
  isEncrypted(roomId: string): Promise<boolean>;
  /** a cheap request that succeeds whenever the homeserver answers at all: tells a message the
   *  homeserver keeps failing on (5xx for it alone) from an outage (everything fails) */
  ping(): Promise<void>;
}
