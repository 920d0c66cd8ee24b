/**
 * Numbered SQL migrations. Append only: never edit one that has shipped. Each runs in one
 * transaction together with its version bump, so a failure leaves the database as it was.
 */
import type { Migration } from '../../sqlite/migrate';

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'users and processed transactions',
    sql: `
      CREATE TABLE users (
        mxid TEXT PRIMARY KEY,
        management_room TEXT UNIQUE,
        settings TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL
      );
      CREATE TABLE processed_transactions (
        txn_id TEXT PRIMARY KEY,
        processed_at INTEGER NOT NULL
      );
      CREATE INDEX processed_transactions_by_time ON processed_transactions (processed_at);
    `,
  },
  {
    version: 2,
    name: 'logins, ghosts, portals, message map, reactions, outbox',
    sql: `
      -- one remote login per Matrix user; connector data as JSON, secrets sealed by the connector
      CREATE TABLE logins (
        mxid TEXT PRIMARY KEY REFERENCES users(mxid) ON DELETE CASCADE,
        phone TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      -- a login waiting for its one-time code (the code itself is never stored)
      CREATE TABLE pending_logins (
        mxid TEXT PRIMARY KEY REFERENCES users(mxid) ON DELETE CASCADE,
        phone TEXT NOT NULL,
        requested_at INTEGER NOT NULL
      );
      -- one ghost per remote phone number, shared by every Matrix user who talks to it
      CREATE TABLE ghosts (
        phone TEXT PRIMARY KEY,
        mxid TEXT NOT NULL UNIQUE,
        display_name TEXT,
        avatar_ref TEXT,
        avatar_mxc TEXT,
        profile_updated_at INTEGER
      );
      -- one room per (Matrix user, remote contact)
      CREATE TABLE portals (
        owner TEXT NOT NULL REFERENCES users(mxid) ON DELETE CASCADE,
        contact TEXT NOT NULL,
        room_id TEXT UNIQUE,
        encrypted INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (owner, contact)
      );
      -- remote message part <-> Matrix event, written before the remote side is acknowledged
      CREATE TABLE messages (
        owner TEXT NOT NULL,
        contact TEXT NOT NULL,
        remote_id TEXT NOT NULL,
        part INTEGER NOT NULL,
        sender TEXT NOT NULL,
        room_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        timestamp INTEGER NOT NULL,
        PRIMARY KEY (owner, contact, remote_id, part),
        FOREIGN KEY (owner, contact) REFERENCES portals(owner, contact) ON DELETE CASCADE
      );
      CREATE UNIQUE INDEX messages_by_event ON messages (room_id, event_id);
      CREATE TABLE reactions (
        owner TEXT NOT NULL,
        contact TEXT NOT NULL,
        target_remote_id TEXT NOT NULL,
        sender TEXT NOT NULL,
        emoji TEXT NOT NULL,
        room_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        PRIMARY KEY (owner, contact, target_remote_id, sender, emoji),
        FOREIGN KEY (owner, contact) REFERENCES portals(owner, contact) ON DELETE CASCADE
      );
      CREATE UNIQUE INDEX reactions_by_event ON reactions (room_id, event_id);
      -- Matrix -> remote jobs, durable until sent or finally failed
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        owner TEXT NOT NULL,
        contact TEXT NOT NULL,
        source_event_id TEXT NOT NULL UNIQUE,
        job TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        FOREIGN KEY (owner, contact) REFERENCES portals(owner, contact) ON DELETE CASCADE
      );
      CREATE INDEX outbox_pending ON outbox (owner, contact, state, id);
    `,
  },
  {
    version: 3,
    name: 'contact security and held messages',
    sql: `
      -- what the bridge knows about each contact's protection, per Matrix user (verification is
      -- personal: Alice verifying a number says nothing about Bob's chat with it)
      CREATE TABLE contacts (
        owner TEXT NOT NULL REFERENCES users(mxid) ON DELETE CASCADE,
        contact TEXT NOT NULL,
        provider TEXT,
        e2ee INTEGER,
        bridged INTEGER,
        identity_fingerprint TEXT,
        verified INTEGER NOT NULL DEFAULT 0,
        key_changed_at INTEGER,
        PRIMARY KEY (owner, contact)
      );
      -- messages held back by policy (identity key changed) until the user confirms
      CREATE TABLE held_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        owner TEXT NOT NULL,
        contact TEXT NOT NULL,
        message TEXT NOT NULL,
        held_at INTEGER NOT NULL,
        FOREIGN KEY (owner, contact) REFERENCES portals(owner, contact) ON DELETE CASCADE
      );
      CREATE INDEX held_messages_by_portal ON held_messages (owner, contact, id);
      -- the security summary last put into the room, to update it only when it changes
      ALTER TABLE portals ADD COLUMN security_summary TEXT;
    `,
  },
  {
    version: 4,
    name: 'intake: transactions by content, handled events, bot command receipts',
    sql: `
      -- A homeserver may reuse a transaction ID (Synapse on SQLite starts again at 1 after a
      -- restart): a transaction is the same only with the same ID and the same contents, and
      -- events are remembered by their own IDs. The old table knew IDs alone; a retry of a
      -- transaction from before this upgrade is deduplicated by the outbox's source event ID.
      DROP TABLE processed_transactions;
      CREATE TABLE handled_transactions (
        txn_id TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        handled_at INTEGER NOT NULL,
        PRIMARY KEY (txn_id, content_hash)
      );
      CREATE INDEX handled_transactions_by_time ON handled_transactions (handled_at);
      CREATE TABLE handled_events (
        event_id TEXT PRIMARY KEY,
        handled_at INTEGER NOT NULL
      );
      CREATE INDEX handled_events_by_time ON handled_events (handled_at);
      -- bot commands accepted from a transaction; pending at start = interrupted by a restart.
      -- Only the command's name is kept: its arguments may be a phone number or a one-time code.
      CREATE TABLE bot_commands (
        event_id TEXT PRIMARY KEY,
        room_id TEXT NOT NULL,
        sender TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('command', 'invite')),
        name TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
        received_at INTEGER NOT NULL
      );
      CREATE INDEX bot_commands_by_state ON bot_commands (state, received_at);
    `,
  },
  {
    version: 5,
    name: 'portal setup progress, held messages by remote ID',
    sql: `
      -- a portal whose room exists but whose setup (bot join, m.direct, notice) is unfinished:
      -- the room ID is stored the moment the room is made, so a retry finishes this room
      -- instead of creating a second one
      ALTER TABLE portals ADD COLUMN setup_pending INTEGER NOT NULL DEFAULT 0;
      -- the remote message a held row stands for: a receive that is retried (or redelivered)
      -- holds the message once
      ALTER TABLE held_messages ADD COLUMN remote_id TEXT;
      CREATE UNIQUE INDEX held_messages_by_remote_id ON held_messages (owner, contact, remote_id);
    `,
  },
  {
    version: 6,
    name: 'outbox: when a job was shown as delayed',
    sql: `
      -- from here on jobs are sealed by core (src/core/outbox.ts); opening an older file runs
      -- VACUUM once (src/store/sqlite/sqlite-store.ts), so plaintext in its free pages is gone.
      -- 1 once the Matrix side was told this job is delayed (told once, not per retry), so
      -- the success or failure that ends the job can clear it
      ALTER TABLE outbox ADD COLUMN delay_reported INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX outbox_unreported ON outbox (state, delay_reported, created_at);
    `,
  },
  {
    version: 7,
    name: 'unreadable messages: one notice per contact and window',
    sql: `
      -- a stretch of unreadable messages from one contact: the first got a notice (at
      -- started_at); the ones after it within the window are only counted, and one summary
      -- notice says how many (src/core/unreadable-streaks.ts)
      CREATE TABLE unreadable_streaks (
        owner TEXT NOT NULL,
        contact TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        suppressed INTEGER NOT NULL DEFAULT 0,
        -- counted and already summarised in this stretch: keeps each summary's transaction
        -- ID distinct (and the same for a retry of it)
        reported INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (owner, contact)
      );
    `,
  },
  {
    version: 8,
    name: 'users: the Space of their third-party inbox',
    sql: `
      -- the Space the bot created as the user's "Third-party chats" inbox (src/core/inbox.ts);
      -- kept when the user switches to a merged inbox, so switching back reuses it
      ALTER TABLE users ADD COLUMN inbox_space TEXT;
    `,
  },
  {
    version: 9,
    name: 'blocked numbers and their sync to the network',
    sql: `
      -- numbers a Matrix user blocked (src/core/block-commands.ts): nothing from them becomes a
      -- Matrix event, and the network is asked to drop their messages before they leave it
      CREATE TABLE blocked_contacts (
        owner TEXT NOT NULL REFERENCES users(mxid) ON DELETE CASCADE,
        contact TEXT NOT NULL,
        blocked_at INTEGER NOT NULL,
        PRIMARY KEY (owner, contact)
      );
      -- how far the network is with each user's list (src/core/block-sync.ts), so a change
      -- the network has not confirmed is sent again after a restart
      CREATE TABLE block_sync (
        owner TEXT PRIMARY KEY REFERENCES users(mxid) ON DELETE CASCADE,
        state TEXT NOT NULL CHECK (state IN ('pending', 'network', 'unsupported', 'refused')),
        detail TEXT,
        told_pending INTEGER NOT NULL DEFAULT 0,
        told_unsupported INTEGER NOT NULL DEFAULT 0
      );
    `,
  },
  {
    version: 10,
    name: 'message requests',
    sql: `
      -- a first message from a number the user never wrote to and never accepted waits here as
      -- a request (src/core/message-requests.ts) instead of opening a portal
      CREATE TABLE message_requests (
        owner TEXT NOT NULL REFERENCES users(mxid) ON DELETE CASCADE,
        contact TEXT NOT NULL,
        provider TEXT NOT NULL,
        e2ee INTEGER NOT NULL,
        encrypted INTEGER NOT NULL,
        first_at INTEGER NOT NULL,
        notice TEXT NOT NULL CHECK (notice IN ('due', 'sent', 'silent')),
        unreadable INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (owner, contact)
      );
      -- what a request holds, sealed like held_messages; deleted with its request
      CREATE TABLE request_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        owner TEXT NOT NULL,
        contact TEXT NOT NULL,
        remote_id TEXT NOT NULL,
        message TEXT NOT NULL,
        held_at INTEGER NOT NULL,
        UNIQUE (owner, contact, remote_id),
        FOREIGN KEY (owner, contact) REFERENCES message_requests (owner, contact) ON DELETE CASCADE
      );
      CREATE INDEX request_messages_by_owner ON request_messages (owner);
      -- messages dropped past the caps, per number, until a summary reports them
      CREATE TABLE request_drops (
        owner TEXT NOT NULL REFERENCES users(mxid) ON DELETE CASCADE,
        contact TEXT NOT NULL,
        messages INTEGER NOT NULL,
        first_at INTEGER NOT NULL,
        last_at INTEGER NOT NULL,
        PRIMARY KEY (owner, contact)
      );
    `,
  },
  {
    version: 11,
    name: 'provider choices',
    sql: `
      -- which providers a user allows or blocks (src/core/provider-commands.ts); a provider
      -- without a row follows bridge.providers.default
      CREATE TABLE provider_choices (
        owner TEXT NOT NULL REFERENCES users(mxid) ON DELETE CASCADE,
        provider TEXT NOT NULL,
        allowed INTEGER NOT NULL CHECK (allowed IN (0, 1)),
        chosen_at INTEGER NOT NULL,
        PRIMARY KEY (owner, provider)
      );
      -- what was dropped from a blocked provider: pending until a summary reports it, total
      -- since the first drop; e2ee as the last dropped envelope said
      CREATE TABLE provider_drops (
        owner TEXT NOT NULL REFERENCES users(mxid) ON DELETE CASCADE,
        provider TEXT NOT NULL,
        e2ee INTEGER NOT NULL,
        pending INTEGER NOT NULL,
        total INTEGER NOT NULL,
        PRIMARY KEY (owner, provider)
      );
      -- when each user was last sent a summary of those drops (at most one per interval)
      CREATE TABLE provider_summaries (
        owner TEXT PRIMARY KEY REFERENCES users(mxid) ON DELETE CASCADE,
        last_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 12,
    name: 'unencrypted-provider notice due',
    sql: `
      -- how often the contact was newly seen without end-to-end encryption, and up to which of
      -- those times the room was told (src/core/security-keeper.ts): a notice stays due
      -- across a failed attempt, and each one has its own transaction ID
      ALTER TABLE contacts ADD COLUMN unencrypted_seen INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE contacts ADD COLUMN unencrypted_noticed INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 13,
    name: 'step login progress',
    sql: `
      -- how far a step login in progress got (src/core/step-login.ts): the step it asks and the
      -- answers given so far, so a restarted bridge resumes it; a code or password is never in it
      ALTER TABLE pending_logins ADD COLUMN progress TEXT NOT NULL DEFAULT '{}';
    `,
  },
  {
    version: 14,
    name: 'encrypted events awaiting their room key',
    sql: `
      -- m.room.encrypted events of portal owners whose room key had not reached the bridge yet
      -- (src/matrix/awaiting-keys.ts): retried when keys arrive and at start, told to the
      -- sender after security.undecryptable_timeout_seconds. The event is kept as it came:
      -- ciphertext, which the homeserver holds too.
      CREATE TABLE events_awaiting_keys (
        event_id TEXT PRIMARY KEY,
        room_id TEXT NOT NULL,
        event TEXT NOT NULL,
        reason TEXT NOT NULL,
        held_at INTEGER NOT NULL
      );
      CREATE INDEX events_awaiting_keys_by_age ON events_awaiting_keys (held_at);
    `,
  },
];
