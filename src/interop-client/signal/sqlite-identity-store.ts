/**
 * SQLite implementation of the local account and the identity key store (TOFU with
 * recorded changes, see InteropIdentityStore).
 */
import {
  Direction,
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
} from '@signalapp/libsignal-client';
import type Database from 'better-sqlite3';
import { prepared } from '../../sqlite/prepared';
import type { SecretBox } from './secret-box';
import type {
  IdentityChangeRecord,
  InteropIdentityStore,
  LocalAccountState,
  LocalAccountStore,
  PreKeyKind,
  RemoteIdentity,
} from './stores';

/** libsignal wants Uint8Array<ArrayBuffer>; SQLite hands out Buffers over a shared pool. */
export function ownBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

/** Called before every write; GroupCommit groups them per event-loop turn, or a no-op gate
 *  leaves each write in its own autocommit transaction. */
export interface WriteGate {
  begin(): void;
  /**
   * A write a decryption makes (ratchet step, consumed prekey, sender key step, kept
   * plaintext): run now here, held until the decryption is kept by StagedWrites.
   */
  write(run: () => void): void;
}

export const AUTOCOMMIT: WriteGate = { begin: () => {}, write: (run) => run() };

/** Prekey ids are 24-bit in the Signal protocol; 0 is avoided as "no id". */
const MAX_PREKEY_ID = 0xffffff;

const ID_COLUMN: Record<PreKeyKind, string> = {
  prekey: 'next_prekey_id',
  signed: 'next_signed_prekey_id',
  kyber: 'next_kyber_prekey_id',
};

export class SqliteLocalAccountStore implements LocalAccountStore {
  private cached: LocalAccountState | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly account: string,
    private readonly box: SecretBox,
    private readonly gate: WriteGate,
  ) {}

  async load(): Promise<LocalAccountState | undefined> {
    if (this.cached) return this.cached;
    const row = prepared(this.db, 'SELECT registration_id, identity_key_pair_sealed, device_id FROM signal_local_accounts WHERE account = ?')
      .get(this.account) as { registration_id: number; identity_key_pair_sealed: Buffer; device_id: number | null } | undefined;
    if (!row) return undefined;
    this.cached = {
      account: this.account,
      registrationId: row.registration_id,
      identityKeyPair: IdentityKeyPair.deserialize(ownBytes(this.box.open(row.identity_key_pair_sealed))),
      deviceId: row.device_id ?? undefined,
    };
    return this.cached;
  }

  async create(identityKeyPair: IdentityKeyPair, registrationId: number): Promise<void> {
    this.gate.begin();
    prepared(this.db, 
        `INSERT INTO signal_local_accounts (account, registration_id, identity_key_pair_sealed, created_at)
         VALUES (?, ?, ?, ?)`,
      )
      .run(this.account, registrationId, this.box.seal(identityKeyPair.serialize()), Date.now());
    this.cached = undefined;
  }

  async setDeviceId(deviceId: number): Promise<void> {
    this.gate.begin();
    prepared(this.db, 'UPDATE signal_local_accounts SET device_id = ? WHERE account = ?').run(deviceId, this.account);
    if (this.cached) this.cached.deviceId = deviceId;
  }

  async allocateIds(kind: PreKeyKind, count: number): Promise<number> {
    this.gate.begin();
    const column = ID_COLUMN[kind];
    return this.db.transaction(() => {
      const row = prepared(this.db, `SELECT ${column} AS next FROM signal_local_accounts WHERE account = ?`).get(this.account) as
        | { next: number }
        | undefined;
      if (!row) throw new Error(`no local Signal account ${this.account}`);
      let first = row.next;
      // Restart at 1 rather than straddle the 24-bit limit: ids stay contiguous per batch.
      if (first + count - 1 > MAX_PREKEY_ID) first = 1;
      prepared(this.db, `UPDATE signal_local_accounts SET ${column} = ? WHERE account = ?`).run(first + count, this.account);
      return first;
    })();
  }
}

export class SqliteIdentityStore extends IdentityKeyStore implements InteropIdentityStore {
  private listener: ((change: IdentityChangeRecord) => void) | undefined;
  private readonly getStmt: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly account: string,
    private readonly local: SqliteLocalAccountStore,
    private readonly gate: WriteGate,
  ) {
    super();
    this.getStmt = db.prepare('SELECT public_key FROM signal_remote_identities WHERE account = ? AND name = ? AND device_id = ?');
  }

  setChangeListener(listener: ((change: IdentityChangeRecord) => void) | undefined): void {
    this.listener = listener;
  }

  private async localState(): Promise<LocalAccountState> {
    const state = await this.local.load();
    if (!state) throw new Error(`no local Signal identity for ${this.account}`);
    return state;
  }

  async getIdentityKey(): Promise<PrivateKey> {
    return (await this.localState()).identityKeyPair.privateKey;
  }

  override async getIdentityKeyPair(): Promise<IdentityKeyPair> {
    return (await this.localState()).identityKeyPair;
  }

  async getLocalRegistrationId(): Promise<number> {
    return (await this.localState()).registrationId;
  }

  async saveIdentity(address: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    const name = address.name();
    const deviceId = address.deviceId();
    const now = Date.now();
    const existing = await this.getIdentity(address);
    if (existing !== null && existing.equals(key)) return IdentityChange.NewOrUnchanged;
    let previous: { key: PublicKey; deviceId: number } | undefined;
    if (existing === null) {
      // A new device: compare with the contact's most recently seen key on another device.
      const row = prepared(this.db, 
          `SELECT device_id, public_key FROM signal_remote_identities WHERE account = ? AND name = ? AND device_id != ?
           ORDER BY COALESCE(changed_at, first_seen) DESC, device_id DESC LIMIT 1`,
        )
        .get(this.account, name, deviceId) as { device_id: number; public_key: Buffer } | undefined;
      if (row) {
        const k = PublicKey.deserialize(ownBytes(row.public_key));
        if (!k.equals(key)) previous = { key: k, deviceId: row.device_id };
      }
    } else {
      previous = { key: existing, deviceId };
    }
    this.gate.begin();
    this.db.transaction(() => {
      prepared(this.db, 
          `INSERT INTO signal_remote_identities (account, name, device_id, public_key, first_seen) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (account, name, device_id) DO UPDATE SET public_key = excluded.public_key, changed_at = ?, retired_at = NULL`,
        )
        .run(this.account, name, deviceId, key.serialize(), now, now);
      if (previous) {
        prepared(this.db, 
            `INSERT INTO signal_identity_changes (account, name, device_id, old_device_id, old_key, new_key, changed_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(this.account, name, deviceId, previous.deviceId, previous.key.serialize(), key.serialize(), now);
      }
    })();
    if (!previous) return IdentityChange.NewOrUnchanged;
    // The listener runs after the change is durable; its errors must not break decryption.
    try {
      this.listener?.({ name, deviceId, oldDeviceId: previous.deviceId, oldKey: previous.key, newKey: key, at: now });
    } catch (err) {
      console.error('identity change listener failed:', (err as Error).message);
    }
    // libsignal's notion is per address: only a replaced key of the same device is "replaced".
    return existing === null ? IdentityChange.NewOrUnchanged : IdentityChange.ReplacedExisting;
  }

  /** TOFU: every key is trusted; changes are recorded by saveIdentity, which libsignal calls next. */
  async isTrustedIdentity(_address: ProtocolAddress, _key: PublicKey, _direction: Direction): Promise<boolean> {
    return true;
  }

  async getIdentity(address: ProtocolAddress): Promise<PublicKey | null> {
    const row = this.getStmt.get(this.account, address.name(), address.deviceId()) as { public_key: Buffer } | undefined;
    return row ? PublicKey.deserialize(ownBytes(row.public_key)) : null;
  }

  async listRemoteIdentities(name: string): Promise<RemoteIdentity[]> {
    const rows = prepared(this.db, 
        `SELECT device_id, public_key, first_seen, changed_at FROM signal_remote_identities
         WHERE account = ? AND name = ? AND retired_at IS NULL ORDER BY device_id`,
      )
      .all(this.account, name) as Array<{ device_id: number; public_key: Buffer; first_seen: number; changed_at: number | null }>;
    return rows.map((r) => ({
      name,
      deviceId: r.device_id,
      publicKey: PublicKey.deserialize(ownBytes(r.public_key)),
      firstSeen: r.first_seen,
      changedAt: r.changed_at ?? undefined,
    }));
  }

  async retireDevice(name: string, deviceId: number): Promise<void> {
    this.gate.begin();
    prepared(this.db, 'UPDATE signal_remote_identities SET retired_at = ? WHERE account = ? AND name = ? AND device_id = ?')
      .run(Date.now(), this.account, name, deviceId);
  }

  async identityChanges(name: string): Promise<IdentityChangeRecord[]> {
    const rows = prepared(this.db, 
        `SELECT device_id, old_device_id, old_key, new_key, changed_at FROM signal_identity_changes
         WHERE account = ? AND name = ? ORDER BY id`,
      )
      .all(this.account, name) as Array<{
      device_id: number;
      old_device_id: number | null;
      old_key: Buffer;
      new_key: Buffer;
      changed_at: number;
    }>;
    return rows.map((r) => ({
      name,
      deviceId: r.device_id,
      oldDeviceId: r.old_device_id ?? r.device_id,
      oldKey: PublicKey.deserialize(ownBytes(r.old_key)),
      newKey: PublicKey.deserialize(ownBytes(r.new_key)),
      at: r.changed_at,
    }));
  }
}
