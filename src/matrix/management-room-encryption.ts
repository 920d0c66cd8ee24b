/**
 * The bot's management room under end-to-bridge encryption: it follows security.encryption as
 * portals do. With `default` or `require` the bot turns encryption on as it joins (the user's
 * client may have made the room unencrypted); with `require`, a room where it may not is left,
 * with the reason, since the bot must not answer there in plaintext. Encrypted commands are
 * decrypted with the bot's own device: for the intake (src/matrix/encrypted-intake.ts) the
 * management room is a room whose owner is its user and whose reader is the bot.
 */
import type { MatrixEncryption } from '../config/types';
import type { BotIdentity } from './bot';

export interface ManagementRoomEncryptionOptions {
  mode: MatrixEncryption;
  encryptRoom(roomId: string): Promise<void>;
  ensureBotDevice(): Promise<void>;
  log: { warn(...parts: unknown[]): void };
}

export function managementRoomEncryption(o: ManagementRoomEncryptionOptions): Pick<BotIdentity, 'prepareDevice' | 'secureManagementRoom'> {
  if (o.mode === 'off') return {};
  return {
    prepareDevice: async () => {
      try {
        await o.ensureBotDevice();
      } catch (error) {
        // the bot still joins and answers: a command whose key then never reached it is
        // answered as undecryptable, which says what the homeserver lacks
        o.log.warn(`the bot's device could not be made before joining a management room: ${(error as Error).message}`);
      }
    },
    secureManagementRoom: async (roomId) => {
      if (o.mode === 'allow') return { usable: true };
      try {
        await o.encryptRoom(roomId);
        return { usable: true };
      } catch (error) {
        const why = (error as Error).message;
        if (o.mode === 'require') return { usable: false, reason: `this bridge requires an encrypted management room and could not turn encryption on (${why}); start a new chat with encryption on` };
        o.log.warn(`the management room ${roomId} stays unencrypted: encryption could not be turned on (${why})`);
        return { usable: true };
      }
    },
  };
}

/**
 * The room an encrypted event may be decrypted for: a portal (its owner, read with the ghost's
 * device) or a management room (its user, read with the bot's).
 */
export async function encryptedRoomOf(
  roomId: string, portalOf: (roomId: string) => Promise<{ owner: string; ghost: string } | undefined>,
  managementRoomUser: (roomId: string) => Promise<string | undefined>, botUserId: string,
): Promise<{ owner: string; ghost: string } | undefined> {
  const portal = await portalOf(roomId);
  if (portal) return portal;
  const user = await managementRoomUser(roomId);
  return user === undefined ? undefined : { owner: user, ghost: botUserId };
}
