/** Devices and the key directory (signed prekeys, last-resort Kyber prekeys, one-time prekeys). */
import type { DeviceAttributes, OneTimePreKey, SignedPreKey } from '../../protocol/frames';
import type { Db } from './database';

export interface DeviceRow {
  phone: string;
  deviceId: number;
  registrationId: number;
  attributes: DeviceAttributes;
  identityKey?: string;
  signedPreKey?: SignedPreKey;
  kyberPreKey?: SignedPreKey;
}

interface RawDevice {
  phone: string;
  deviceId: number;
  registrationId: number;
  bridged: number;
  name: string | null;
  identityKey: string | null;
  signedPreKey: string | null;
  kyberPreKey: string | null;
}

export type PreKeyKind = 'ec' | 'kyber';

const DEVICE_CACHE_LIMIT = 100_000;

const DEVICE_COLUMNS = `phone, device_id AS deviceId, registration_id AS registrationId, bridged, name,
  identity_key AS identityKey, signed_prekey AS signedPreKey, kyber_prekey AS kyberPreKey`;

function toDevice(raw: RawDevice): DeviceRow {
  const attributes: DeviceAttributes = { bridged: raw.bridged === 1 };
  if (raw.name !== null) attributes.name = raw.name;
  const row: DeviceRow = { phone: raw.phone, deviceId: raw.deviceId, registrationId: raw.registrationId, attributes };
  if (raw.identityKey !== null) row.identityKey = raw.identityKey;
  if (raw.signedPreKey !== null) row.signedPreKey = JSON.parse(raw.signedPreKey) as SignedPreKey;
  if (raw.kyberPreKey !== null) row.kyberPreKey = JSON.parse(raw.kyberPreKey) as SignedPreKey;
  return row;
}

export class DeviceStore {
  private readonly insertStmt;
  private readonly listStmt;
  private readonly deleteStmt;
  private readonly setSignedStmt;
  private readonly setKyberStmt;
  private readonly addPreKeyStmt;
  private readonly countStmt;
  private readonly takeStmt;
  private readonly inTransaction: <T>(fn: () => T) => T;
  private readonly cache = new Map<string, DeviceRow[]>();

  constructor(db: Db) {
    this.inTransaction = db.transaction(<T>(fn: () => T): T => fn()) as <T>(fn: () => T) => T;
    this.insertStmt = db.prepare(
      `INSERT INTO devices (phone, device_id, registration_id, bridged, name, identity_key, signed_prekey, kyber_prekey, created_at)
       VALUES (@phone, @deviceId, @registrationId, @bridged, @name, @identityKey, @signedPreKey, @kyberPreKey, @now)`,
    );
    this.listStmt = db.prepare<[string], RawDevice>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE phone = ? ORDER BY device_id`);
    this.deleteStmt = db.prepare<[string, number]>('DELETE FROM devices WHERE phone = ? AND device_id = ?');
    this.setSignedStmt = db.prepare<[string, string, number]>('UPDATE devices SET signed_prekey = ? WHERE phone = ? AND device_id = ?');
    this.setKyberStmt = db.prepare<[string, string, number]>('UPDATE devices SET kyber_prekey = ? WHERE phone = ? AND device_id = ?');
    this.addPreKeyStmt = db.prepare<[string, number, PreKeyKind, number, string, string | null]>(
      'INSERT OR REPLACE INTO one_time_prekeys (phone, device_id, kind, key_id, public_key, signature) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.countStmt = db.prepare<[string, number, PreKeyKind], { n: number }>(
      'SELECT COUNT(*) AS n FROM one_time_prekeys WHERE phone = ? AND device_id = ? AND kind = ?',
    );
    this.takeStmt = db.prepare<[string, number, PreKeyKind], { keyId: number; publicKey: string; signature: string | null }>(
      `DELETE FROM one_time_prekeys WHERE rowid = (
         SELECT rowid FROM one_time_prekeys WHERE phone = ? AND device_id = ? AND kind = ? ORDER BY key_id LIMIT 1)
       RETURNING key_id AS keyId, public_key AS publicKey, signature`,
    );
  }

  insert(device: DeviceRow, now: number): void {
    this.cache.delete(device.phone);
    this.insertStmt.run({
      phone: device.phone,
      deviceId: device.deviceId,
      registrationId: device.registrationId,
      bridged: device.attributes.bridged ? 1 : 0,
      name: device.attributes.name ?? null,
      identityKey: device.identityKey ?? null,
      signedPreKey: device.signedPreKey ? JSON.stringify(device.signedPreKey) : null,
      kyberPreKey: device.kyberPreKey ? JSON.stringify(device.kyberPreKey) : null,
      now,
    });
  }

  get(phone: string, deviceId: number): DeviceRow | undefined {
    return this.list(phone).find((d) => d.deviceId === deviceId);
  }

  /** The account's devices, by ID. Served from memory after the first read: every submit
   *  needs them, and the gateway is the database's only writer. Callers must not mutate. */
  list(phone: string): readonly DeviceRow[] {
    let devices = this.cache.get(phone);
    if (!devices) {
      if (this.cache.size >= DEVICE_CACHE_LIMIT) this.cache.clear();
      devices = this.listStmt.all(phone).map(toDevice);
      this.cache.set(phone, devices);
    }
    return devices;
  }

  ids(phone: string): number[] {
    return this.list(phone).map((d) => d.deviceId);
  }

  delete(phone: string, deviceId: number): void {
    this.cache.delete(phone);
    this.deleteStmt.run(phone, deviceId);
  }

  setSignedPreKey(phone: string, deviceId: number, key: SignedPreKey): void {
    this.cache.delete(phone);
    this.setSignedStmt.run(JSON.stringify(key), phone, deviceId);
  }

  setKyberPreKey(phone: string, deviceId: number, key: SignedPreKey): void {
    this.cache.delete(phone);
    this.setKyberStmt.run(JSON.stringify(key), phone, deviceId);
  }

  /** Forget cached rows: of one account (deleted by cascade), or all (after a rollback). */
  forget(phone?: string): void {
    if (phone === undefined) this.cache.clear();
    else this.cache.delete(phone);
  }

  addOneTimePreKeys(phone: string, deviceId: number, kind: PreKeyKind, keys: readonly (OneTimePreKey | SignedPreKey)[]): void {
    for (const k of keys) {
      this.addPreKeyStmt.run(phone, deviceId, kind, k.keyId, k.publicKey, 'signature' in k ? k.signature : null);
    }
  }

  countOneTimePreKeys(phone: string, deviceId: number, kind: PreKeyKind): number {
    return this.countStmt.get(phone, deviceId, kind)?.n ?? 0;
  }

  /** Removes and returns the device's lowest-numbered one-time prekey of that kind. */
  takeOneTimePreKey(phone: string, deviceId: number, kind: 'ec'): OneTimePreKey | undefined;
  takeOneTimePreKey(phone: string, deviceId: number, kind: 'kyber'): SignedPreKey | undefined;
  takeOneTimePreKey(phone: string, deviceId: number, kind: PreKeyKind): OneTimePreKey | SignedPreKey | undefined {
    const row = this.takeStmt.get(phone, deviceId, kind);
    if (!row) return undefined;
    if (kind === 'kyber' && row.signature !== null) return { keyId: row.keyId, publicKey: row.publicKey, signature: row.signature };
    return { keyId: row.keyId, publicKey: row.publicKey };
  }

  transaction<T>(fn: () => T): T {
    return this.inTransaction(fn);
  }
}
