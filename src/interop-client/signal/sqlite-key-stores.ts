/**
 * SQLite implementations of the session, prekey, signed prekey, Kyber prekey and
 * pending-plaintext stores. Secret bytes go through the SecretBox on the way in and out.
 */
import {
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyRecord,
  PreKeyStore,
  ProtocolAddress,
  PublicKey,
  SessionRecord,
  SessionStore,
  SignedPreKeyRecord,
  SignedPreKeyStore,
} from '@signalapp/libsignal-client';
import type Database from 'better-sqlite3';
import { prepared } from '../../sqlite/prepared';
import type { SecretBox } from './secret-box';
import type { WriteGate } from './sqlite-identity-store';
import { ownBytes } from './sqlite-identity-store';
import type {
  InteropKyberPreKeyStore,
  InteropPreKeyStore,
  InteropSessionStore,
  InteropSignedPreKeyStore,
  PendingPlaintextStore,
} from './stores';

type SealedRow = { record_sealed: Buffer } | undefined;

const GET_SESSION = 'SELECT record_sealed FROM signal_sessions WHERE account = ? AND name = ? AND device_id = ?';
const SAVE_SESSION = `INSERT INTO signal_sessions (account, name, device_id, record_sealed, updated_at) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (account, name, device_id) DO UPDATE SET record_sealed = excluded.record_sealed, updated_at = excluded.updated_at`;

export class SqliteSessionStore extends SessionStore implements InteropSessionStore {
  // one instance per decryption (SignalDatabase.decryption): statements from the handle's cache
  constructor(
    private readonly db: Database.Database,
    private readonly account: string,
    private readonly box: SecretBox,
    private readonly gate: WriteGate,
  ) {
    super();
  }

  async saveSession(address: ProtocolAddress, record: SessionRecord): Promise<void> {
    const sealed = this.box.seal(record.serialize());
    this.gate.write(() => prepared(this.db, SAVE_SESSION).run(this.account, address.name(), address.deviceId(), sealed, Date.now()));
  }

  async getSession(address: ProtocolAddress): Promise<SessionRecord | null> {
    const row = prepared(this.db, GET_SESSION).get(this.account, address.name(), address.deviceId()) as SealedRow;
    return row ? SessionRecord.deserialize(ownBytes(this.box.open(row.record_sealed))) : null;
  }

  async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    const out: SessionRecord[] = [];
    for (const address of addresses) {
      const record = await this.getSession(address);
      if (!record) throw new Error(`no session for ${address.name()}.${address.deviceId()}`);
      out.push(record);
    }
    return out;
  }

  async listSessionDevices(name: string): Promise<number[]> {
    const rows = prepared(this.db, 'SELECT device_id FROM signal_sessions WHERE account = ? AND name = ? ORDER BY device_id')
      .all(this.account, name) as Array<{ device_id: number }>;
    return rows.map((r) => r.device_id);
  }

  async deleteSession(name: string, deviceId: number): Promise<void> {
    this.gate.begin();
    prepared(this.db, 'DELETE FROM signal_sessions WHERE account = ? AND name = ? AND device_id = ?').run(this.account, name, deviceId);
  }
}

export class SqlitePreKeyStore extends PreKeyStore implements InteropPreKeyStore {
  constructor(
    private readonly db: Database.Database,
    private readonly account: string,
    private readonly box: SecretBox,
    private readonly gate: WriteGate,
  ) {
    super();
  }

  async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.gate.begin();
    prepared(this.db, 'INSERT OR REPLACE INTO signal_prekeys (account, id, record_sealed) VALUES (?, ?, ?)')
      .run(this.account, id, this.box.seal(record.serialize()));
  }

  async getPreKey(id: number): Promise<PreKeyRecord> {
    const row = prepared(this.db, 'SELECT record_sealed FROM signal_prekeys WHERE account = ? AND id = ?').get(this.account, id) as SealedRow;
    if (!row) throw new Error(`one-time prekey ${id} not found (already used?)`);
    return PreKeyRecord.deserialize(ownBytes(this.box.open(row.record_sealed)));
  }

  async removePreKey(id: number): Promise<void> {
    this.gate.write(() => prepared(this.db, 'DELETE FROM signal_prekeys WHERE account = ? AND id = ?').run(this.account, id));
  }

  async countPreKeys(): Promise<number> {
    return (prepared(this.db, 'SELECT COUNT(*) AS n FROM signal_prekeys WHERE account = ?').get(this.account) as { n: number }).n;
  }
}

export class SqliteSignedPreKeyStore extends SignedPreKeyStore implements InteropSignedPreKeyStore {
  constructor(
    private readonly db: Database.Database,
    private readonly account: string,
    private readonly box: SecretBox,
    private readonly gate: WriteGate,
  ) {
    super();
  }

  async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.gate.begin();
    prepared(this.db, 'INSERT OR REPLACE INTO signal_signed_prekeys (account, id, record_sealed, created_at) VALUES (?, ?, ?, ?)')
      .run(this.account, id, this.box.seal(record.serialize()), Date.now());
  }

  async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const row = prepared(this.db, 'SELECT record_sealed FROM signal_signed_prekeys WHERE account = ? AND id = ?')
      .get(this.account, id) as SealedRow;
    if (!row) throw new Error(`signed prekey ${id} not found`);
    return SignedPreKeyRecord.deserialize(ownBytes(this.box.open(row.record_sealed)));
  }

  async latestSignedPreKey(): Promise<{ id: number; createdAt: number } | undefined> {
    const row = prepared(this.db, 'SELECT id, created_at FROM signal_signed_prekeys WHERE account = ? ORDER BY created_at DESC, rowid DESC LIMIT 1')
      .get(this.account) as { id: number; created_at: number } | undefined;
    return row ? { id: row.id, createdAt: row.created_at } : undefined;
  }

  async pruneSignedPreKeys(keep: number): Promise<number> {
    this.gate.begin();
    return prepared(this.db, 
      `DELETE FROM signal_signed_prekeys WHERE account = ? AND rowid NOT IN
         (SELECT rowid FROM signal_signed_prekeys WHERE account = ? ORDER BY created_at DESC, rowid DESC LIMIT ?)`,
    ).run(this.account, this.account, keep).changes;
  }

}

export class SqliteKyberPreKeyStore extends KyberPreKeyStore implements InteropKyberPreKeyStore {
  constructor(
    private readonly db: Database.Database,
    private readonly account: string,
    private readonly box: SecretBox,
    private readonly gate: WriteGate,
  ) {
    super();
  }

  /** libsignal's entry point; keys saved this way count as one-time keys. */
  async saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    await this.saveKyberPreKeyOfKind(id, record, false);
  }

  async saveKyberPreKeyOfKind(id: number, record: KyberPreKeyRecord, lastResort: boolean): Promise<void> {
    this.gate.begin();
    prepared(this.db, 
        'INSERT OR REPLACE INTO signal_kyber_prekeys (account, id, record_sealed, last_resort, created_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(this.account, id, this.box.seal(record.serialize()), lastResort ? 1 : 0, Date.now());
  }

  async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const row = prepared(this.db, 'SELECT record_sealed FROM signal_kyber_prekeys WHERE account = ? AND id = ?')
      .get(this.account, id) as SealedRow;
    if (!row) throw new Error(`Kyber prekey ${id} not found (already used?)`);
    return KyberPreKeyRecord.deserialize(ownBytes(this.box.open(row.record_sealed)));
  }

  /** One-time keys are deleted; a last-resort key refuses a (signed prekey, base key) it has seen.
   *  The check reads now; the write may be held with the rest of its decryption. */
  async markKyberPreKeyUsed(id: number, signedPreKeyId: number, baseKey: PublicKey): Promise<void> {
    const row = prepared(this.db, 'SELECT last_resort FROM signal_kyber_prekeys WHERE account = ? AND id = ?')
      .get(this.account, id) as { last_resort: number } | undefined;
    if (!row) return;
    if (!row.last_resort) {
      this.gate.write(() => prepared(this.db, 'DELETE FROM signal_kyber_prekeys WHERE account = ? AND id = ?').run(this.account, id));
      return;
    }
    const key = baseKey.serialize();
    const seen = prepared(this.db,
      'SELECT 1 FROM signal_kyber_base_keys_seen WHERE account = ? AND kyber_prekey_id = ? AND signed_prekey_id = ? AND base_key = ?',
    ).get(this.account, id, signedPreKeyId, key);
    if (seen) throw new Error('replayed session setup: Kyber last-resort key already used with this base key');
    this.gate.write(() => prepared(this.db,
      `INSERT OR IGNORE INTO signal_kyber_base_keys_seen (account, kyber_prekey_id, signed_prekey_id, base_key)
       VALUES (?, ?, ?, ?)`,
    ).run(this.account, id, signedPreKeyId, key));
  }

  async pruneLastResortKyberPreKeys(keep: number): Promise<number> {
    this.gate.begin();
    return prepared(this.db, 
      `DELETE FROM signal_kyber_prekeys WHERE account = ? AND last_resort = 1 AND rowid NOT IN
         (SELECT rowid FROM signal_kyber_prekeys WHERE account = ? AND last_resort = 1 ORDER BY created_at DESC, rowid DESC LIMIT ?)`,
    ).run(this.account, this.account, keep).changes;
  }

  async countOneTimeKyberPreKeys(): Promise<number> {
    return (
      prepared(this.db, 'SELECT COUNT(*) AS n FROM signal_kyber_prekeys WHERE account = ? AND last_resort = 0').get(this.account) as {
        n: number;
      }
    ).n;
  }
}

export class SqlitePendingPlaintextStore implements PendingPlaintextStore {
  constructor(
    private readonly db: Database.Database,
    private readonly account: string,
    private readonly box: SecretBox,
    private readonly gate: WriteGate,
  ) {}

  async put(envelopeId: string, plaintext: Uint8Array): Promise<void> {
    const sealed = this.box.seal(plaintext);
    this.gate.write(() => prepared(this.db,
      'INSERT OR REPLACE INTO signal_pending_plaintexts (account, envelope_id, plaintext_sealed, received_at) VALUES (?, ?, ?, ?)',
    ).run(this.account, envelopeId, sealed, Date.now()));
  }

  async get(envelopeId: string): Promise<Uint8Array | undefined> {
    const row = prepared(this.db, 'SELECT plaintext_sealed FROM signal_pending_plaintexts WHERE account = ? AND envelope_id = ?')
      .get(this.account, envelopeId) as { plaintext_sealed: Buffer } | undefined;
    return row ? this.box.open(row.plaintext_sealed) : undefined;
  }

  async delete(envelopeId: string): Promise<void> {
    this.gate.begin();
    prepared(this.db, 'DELETE FROM signal_pending_plaintexts WHERE account = ? AND envelope_id = ?').run(this.account, envelopeId);
  }
}
