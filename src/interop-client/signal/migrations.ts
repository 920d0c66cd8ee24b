/**
 * Schema of the Signal key store. One database can hold many local accounts (the bridge
 * links one phone number per Matrix user, and may keep them in its main database file), so
 * every table is keyed by `account` (the local E.164 number). Columns named *_sealed hold
 * bytes passed through the SecretBox (encryption at rest).
 *
 * Migrations are numbered, applied in order, each in its own transaction; a database whose
 * version is newer than this code is refused rather than guessed at.
 */
import type Database from 'better-sqlite3';
import { migrate, versionTable, type Migration } from '../../sqlite/migrate';

const MIGRATIONS: ReadonlyArray<Omit<Migration, 'name'>> = [
  {
    version: 1,
    sql: `
      CREATE TABLE signal_local_accounts (
        account TEXT PRIMARY KEY,
        registration_id INTEGER NOT NULL,
        identity_key_pair_sealed BLOB NOT NULL,
        device_id INTEGER,
        next_prekey_id INTEGER NOT NULL DEFAULT 1,
        next_signed_prekey_id INTEGER NOT NULL DEFAULT 1,
        next_kyber_prekey_id INTEGER NOT NULL DEFAULT 1,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE signal_remote_identities (
        account TEXT NOT NULL,
        name TEXT NOT NULL,
        device_id INTEGER NOT NULL,
        public_key BLOB NOT NULL,
        first_seen INTEGER NOT NULL,
        changed_at INTEGER,
        PRIMARY KEY (account, name, device_id)
      );
      CREATE TABLE signal_identity_changes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account TEXT NOT NULL,
        name TEXT NOT NULL,
        device_id INTEGER NOT NULL,
        old_key BLOB NOT NULL,
        new_key BLOB NOT NULL,
        changed_at INTEGER NOT NULL
      );
      CREATE INDEX signal_identity_changes_by_name ON signal_identity_changes (account, name);
      CREATE TABLE signal_sessions (
        account TEXT NOT NULL,
        name TEXT NOT NULL,
        device_id INTEGER NOT NULL,
        record_sealed BLOB NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (account, name, device_id)
      );
      CREATE TABLE signal_prekeys (
        account TEXT NOT NULL,
        id INTEGER NOT NULL,
        record_sealed BLOB NOT NULL,
        PRIMARY KEY (account, id)
      );
      CREATE TABLE signal_signed_prekeys (
        account TEXT NOT NULL,
        id INTEGER NOT NULL,
        record_sealed BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (account, id)
      );
      CREATE TABLE signal_kyber_prekeys (
        account TEXT NOT NULL,
        id INTEGER NOT NULL,
        record_sealed BLOB NOT NULL,
        last_resort INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (account, id)
      );
      -- A last-resort Kyber key may be used many times, but never twice with the same
      -- (signed prekey, base key): that would be a replayed session setup.
      CREATE TABLE signal_kyber_base_keys_seen (
        account TEXT NOT NULL,
        kyber_prekey_id INTEGER NOT NULL,
        signed_prekey_id INTEGER NOT NULL,
        base_key BLOB NOT NULL,
        PRIMARY KEY (account, kyber_prekey_id, signed_prekey_id, base_key)
      );
      -- Plaintext of envelopes decrypted but not yet acknowledged: the ratchet has moved on,
      -- so a redelivered envelope could not be decrypted again. Deleted on ack.
      CREATE TABLE signal_pending_plaintexts (
        account TEXT NOT NULL,
        envelope_id TEXT NOT NULL,
        plaintext_sealed BLOB NOT NULL,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (account, envelope_id)
      );
    `,
  },
  {
    // Devices come back under new ids after a reinstall (ids are never reused), so a key change
    // is usually a *new device* with a new key: keep the old device's key, marked retired, to
    // compare against, and record which device the old key belonged to.
    version: 2,
    sql: `
      ALTER TABLE signal_remote_identities ADD COLUMN retired_at INTEGER;
      ALTER TABLE signal_identity_changes ADD COLUMN old_device_id INTEGER;
    `,
  },
  {
    // Groups (protocol version 2): libsignal sender keys, received and own; which distribution
    // this account sends with in each group and which member devices hold it (rotated when one
    // leaves); which distribution each member device announced per group, so that a sender key
    // sent for one group is never accepted for another.
    version: 3,
    sql: `
      CREATE TABLE signal_sender_keys (
        account TEXT NOT NULL,
        name TEXT NOT NULL,
        device_id INTEGER NOT NULL,
        distribution_id TEXT NOT NULL,
        record_sealed BLOB NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (account, name, device_id, distribution_id)
      );
      CREATE TABLE signal_group_sending (
        account TEXT NOT NULL,
        group_id TEXT NOT NULL,
        distribution_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (account, group_id)
      );
      CREATE TABLE signal_group_key_holders (
        account TEXT NOT NULL,
        group_id TEXT NOT NULL,
        distribution_id TEXT NOT NULL,
        name TEXT NOT NULL,
        device_id INTEGER NOT NULL,
        PRIMARY KEY (account, group_id, distribution_id, name, device_id)
      );
      CREATE TABLE signal_group_senders (
        account TEXT NOT NULL,
        group_id TEXT NOT NULL,
        name TEXT NOT NULL,
        device_id INTEGER NOT NULL,
        distribution_id TEXT NOT NULL,
        PRIMARY KEY (account, group_id, name, device_id)
      );
    `,
  },
];

/** Every table of the key store keyed by local account, named here once: deleting an account
 *  deletes from exactly these (a test checks the schema has no other). */
export const ACCOUNT_TABLES = [
  'signal_local_accounts', 'signal_remote_identities', 'signal_identity_changes', 'signal_sessions', 'signal_prekeys',
  'signal_signed_prekeys', 'signal_kyber_prekeys', 'signal_kyber_base_keys_seen', 'signal_pending_plaintexts',
  'signal_sender_keys', 'signal_group_sending', 'signal_group_key_holders', 'signal_group_senders',
] as const;

/** Every table of the key store, its version table included (what a move to another file takes). */
export const SIGNAL_TABLES: readonly string[] = [...ACCOUNT_TABLES, 'signal_schema_version'];

export const SIGNAL_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Its own version table, not user_version: the key store may share the bridge's database file. */
export function migrateSignalDatabase(db: Database.Database): void {
  migrate(db, MIGRATIONS.map((m) => ({ name: `signal ${m.version}`, ...m })), versionTable('signal_schema_version'), 'Signal key store');
}
