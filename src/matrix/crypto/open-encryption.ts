/**
 * The composition's end-to-bridge encryption (security.encryption not `off`): the crypto store
 * in its own file beside the bridge's database (`bridge.crypto.db` for `bridge.db`), sealed
 * with the key-at-rest box, and the devices speaking to the homeserver as the appservice.
 */
import { connectorDatabasePath } from '../../connectors/storage';
import type { SecretBox } from '../../interop-client/signal/secret-box';
import { FetchAppserviceHttp } from './appservice-http';
import { DeviceManager } from './device-manager';
import { CryptoStoreFile } from './journal-file';
import { RoomEncryption, type RoomEncryptionLog } from './room-encryption';
import type { CryptoTrust } from './trust';

/** Machines kept open at most (measured by `npm run bench:crypto`); idle ones reopen from disk. */
export const MAX_OPEN_DEVICES = 64;

export function cryptoStorePath(databasePath: string): string {
  return connectorDatabasePath(databasePath, 'crypto');
}

export function openRoomEncryption(o: { databasePath: string; homeserverUrl: string; asToken: string; box: SecretBox; log: RoomEncryptionLog; trust: CryptoTrust }): {
  encryption: RoomEncryption;
  close(): Promise<void>;
} {
  const store = new CryptoStoreFile(cryptoStorePath(o.databasePath), o.box);
  const devices = new DeviceManager({ store, http: new FetchAppserviceHttp(o.homeserverUrl, o.asToken), maxOpen: MAX_OPEN_DEVICES });
  return {
    encryption: new RoomEncryption(devices, o.log, o.trust),
    close: async () => {
      await devices.closeAll();
      store.close();
    },
  };
}
