/**
 * What the bridge remembers about each device it speaks from, beside the device's own crypto
 * store: the device ID (chosen and written down before the homeserver is asked to create it,
 * so a retry after a crash finds the same device instead of making a second one), whether the
 * homeserver has it, whether its cross-signing keys were published, and a sealed copy of the
 * user's cross-signing private keys (so losing a crypto store does not force a new identity,
 * which every contact would see as a warning).
 */
import type Database from 'better-sqlite3';
import type { SecretBox } from '../../interop-client/signal/secret-box';

export interface DeviceRecord {
  userId: string;
  deviceId: string;
  createdOnServer: boolean;
  crossSigningPublished: boolean;
}

export interface CrossSigningPrivateKeys {
  masterKey: string | undefined;
  selfSigningKey: string | undefined;
  userSigningKey: string | undefined;
}

export class DeviceRecords {
  constructor(private readonly db: Database.Database, private readonly box: SecretBox) {}

  get(userId: string): DeviceRecord | undefined {
    const row = this.db.prepare('SELECT device_id, created_on_server, cross_signing_published FROM crypto_devices WHERE user_id = ?')
      .get(userId) as { device_id: string; created_on_server: number; cross_signing_published: number } | undefined;
    return row && {
      userId, deviceId: row.device_id, createdOnServer: row.created_on_server === 1, crossSigningPublished: row.cross_signing_published === 1,
    };
  }

  /** Records the intent to create `deviceId` for `userId`; returns the record that holds (an earlier one wins). */
  intend(userId: string, deviceId: string): DeviceRecord {
    this.db.prepare('INSERT INTO crypto_devices (user_id, device_id) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING').run(userId, deviceId);
    return this.get(userId)!;
  }

  markCreatedOnServer(userId: string): void {
    this.db.prepare('UPDATE crypto_devices SET created_on_server = 1 WHERE user_id = ?').run(userId);
  }

  markCrossSigningPublished(userId: string): void {
    this.db.prepare('UPDATE crypto_devices SET cross_signing_published = 1 WHERE user_id = ?').run(userId);
  }

  saveCrossSigningKeys(userId: string, keys: CrossSigningPrivateKeys): void {
    const sealed = this.box.seal(Buffer.from(JSON.stringify(keys), 'utf8'));
    this.db.prepare('INSERT INTO cross_signing_vault (user_id, sealed) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET sealed = excluded.sealed')
      .run(userId, Buffer.from(sealed));
  }

  crossSigningKeys(userId: string): CrossSigningPrivateKeys | undefined {
    const row = this.db.prepare('SELECT sealed FROM cross_signing_vault WHERE user_id = ?').get(userId) as { sealed: Buffer } | undefined;
    if (!row) return undefined;
    return JSON.parse(Buffer.from(this.box.open(row.sealed)).toString('utf8')) as CrossSigningPrivateKeys;
  }
}
