/**
 * The gateway's SQLite database: accounts, devices and keys, per-device queues, media,
 * profiles, block lists, groups. WAL journal, foreign keys on (deleting an account cascades to everything it owns),
 * numbered migrations applied each in one transaction; a database newer than this code is
 * refused rather than half-understood.
 */
import Database from 'better-sqlite3';
import { migrate, SchemaTooNewError } from '../../sqlite/migrate';
import { preparePrivateDatabaseFile } from '../../sqlite/private-file';

export type Db = Database.Database;

const MIGRATIONS: readonly string[] = [
  // 1: initial schema
  `
  CREATE TABLE accounts (
    phone TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    next_device_id INTEGER NOT NULL DEFAULT 1,
    display_name TEXT,
    avatar_media_id TEXT
  );
  CREATE TABLE verification_codes (
    phone TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    code_hash BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE devices (
    phone TEXT NOT NULL REFERENCES accounts(phone) ON DELETE CASCADE,
    device_id INTEGER NOT NULL,
    registration_id INTEGER NOT NULL,
    bridged INTEGER NOT NULL,
    name TEXT,
    identity_key TEXT,
    signed_prekey TEXT,
    kyber_prekey TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (phone, device_id)
  );
  CREATE TABLE one_time_prekeys (
    phone TEXT NOT NULL,
    device_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('ec', 'kyber')),
    key_id INTEGER NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT,
    PRIMARY KEY (phone, device_id, kind, key_id),
    FOREIGN KEY (phone, device_id) REFERENCES devices(phone, device_id) ON DELETE CASCADE
  );
  CREATE TABLE queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    phone TEXT NOT NULL,
    device_id INTEGER NOT NULL,
    sender TEXT NOT NULL,
    server_ts INTEGER NOT NULL,
    payload TEXT NOT NULL,
    FOREIGN KEY (phone, device_id) REFERENCES devices(phone, device_id) ON DELETE CASCADE
  );
  CREATE INDEX queue_by_device ON queue (phone, device_id, seq);
  CREATE TABLE submissions (
    sender_phone TEXT NOT NULL,
    client_message_id TEXT NOT NULL,
    server_ts INTEGER NOT NULL,
    PRIMARY KEY (sender_phone, client_message_id)
  ) WITHOUT ROWID;
  CREATE INDEX submissions_by_time ON submissions (server_ts);
  CREATE TABLE media (
    media_id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    size INTEGER NOT NULL,
    digest TEXT NOT NULL,
    data BLOB NOT NULL,
    created_at INTEGER NOT NULL
  );
  `,
  // 2: the sender's phone as its own column, so delivery can keep one window per sender
  // (a contact whose envelopes go unacknowledged must not hold up everyone else's)
  `
  ALTER TABLE queue ADD COLUMN sender_phone TEXT NOT NULL DEFAULT '';
  UPDATE queue SET sender_phone = json_extract(sender, '$.phone');
  CREATE INDEX queue_by_sender ON queue (phone, device_id, sender_phone, seq);
  `,
  // 3: each account's block list (blocklist.set): submits and signals from a blocked number
  // to the account are dropped at submit time, without telling the sender
  `
  CREATE TABLE blocks (
    phone TEXT NOT NULL REFERENCES accounts(phone) ON DELETE CASCADE,
    blocked_phone TEXT NOT NULL,
    PRIMARY KEY (phone, blocked_phone)
  ) WITHOUT ROWID;
  `,
  // 4: groups (protocol version 2): metadata, and members in the order they joined; an
  // account's deletion takes its memberships with it (the handler moves the admin role first)
  `
  CREATE TABLE groups (
    group_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    avatar_media_id TEXT,
    revision INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES groups(group_id) ON DELETE CASCADE,
    phone TEXT NOT NULL REFERENCES accounts(phone) ON DELETE CASCADE,
    admin INTEGER NOT NULL,
    joined_seq INTEGER NOT NULL,
    PRIMARY KEY (group_id, phone)
  ) WITHOUT ROWID;
  CREATE INDEX group_members_by_phone ON group_members (phone, group_id);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export class DatabaseTooNewError extends Error {
  constructor(path: string, found: number) {
    super(`database ${path} has schema version ${found}, newer than this gateway (${SCHEMA_VERSION}); refusing to open it`);
    this.name = 'DatabaseTooNewError';
  }
}

export function openDatabase(path: string): Db {
  // accounts, prekeys and queued envelopes (plaintext ones too): readable by the gateway's user only
  preparePrivateDatabaseFile(path);
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a power cut may lose the last transactions but never corrupts; a
    // process crash loses nothing. The gateway answers a submit only after its commit.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrateGateway(db, path);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function migrateGateway(db: Db, path: string): void {
  try {
    migrate(db, MIGRATIONS.map((sql, i) => ({ version: i + 1, name: `gateway ${i + 1}`, sql })));
  } catch (error) {
    if (error instanceof SchemaTooNewError) throw new DatabaseTooNewError(path, error.found);
    throw error;
  }
}
