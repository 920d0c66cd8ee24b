/**
 * Encrypted Matrix events waiting for their room key (src/matrix/awaiting-keys.ts): an
 * m.room.encrypted event of a portal's owner that the bridge could not decrypt yet because
 * the key had not arrived. Kept as it came: it is ciphertext (the homeserver has the same),
 * so it is not sealed. Engine-neutral, like ./repositories.ts.
 */

export interface AwaitingKeyEvent {
  eventId: string;
  roomId: string;
  /** the event as the homeserver sent it (m.room.encrypted, content still encrypted) */
  event: Record<string, unknown>;
  /** the crypto-wasm error code of the first attempt (MissingRoomKey, UnknownMessageIndex) */
  reason: string;
  /** when the bridge first held it (ms): the time-out counts from here, across restarts */
  heldAt: number;
}

export interface AwaitingKeyRepository {
  /** false if the event is held already (a redelivery): the first holding time stays */
  hold(event: AwaitingKeyEvent): Promise<boolean>;
  /** the held events, oldest first, at most `limit` */
  oldest(limit: number): Promise<AwaitingKeyEvent[]>;
  count(): Promise<number>;
  /** forgets the event (decrypted and handed on, or its sender told); false if it was not held */
  release(eventId: string): Promise<boolean>;
}
