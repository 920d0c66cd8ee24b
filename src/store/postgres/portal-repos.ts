/** PostgreSQL repositories for portals, the message-ID map and reactions (the rules are
 *  ../sqlite/portal-repos.ts's). */
import type { MessageRecord, PortalRecord, ReactionRecord } from '../chat-repositories';
import type { MessageRepository, PortalRepository, ReactionRepository } from '../chat-repositories';
import { all, changed, count, one, type Sql } from './sql';
import { toMessage, toReaction, type MessageRow, type ReactionRow } from '../rows';

type PortalRow = {
  owner: string; contact: string; room_id: string | null; encrypted: boolean; created_at: number; security_summary: string | null; setup_pending: boolean;
};

const toPortal = (r: PortalRow): PortalRecord => ({
  owner: r.owner, contact: r.contact, roomId: r.room_id, encrypted: r.encrypted, createdAt: r.created_at,
  securitySummary: r.security_summary, setupPending: r.setup_pending,
});

/** the columns of a portal, without what only the engine needs */
const PORTAL = 'owner, contact, room_id, encrypted, created_at, security_summary, setup_pending';

export class PostgresPortals implements PortalRepository {
  constructor(private readonly sql: Sql) {}

  async get(owner: string, contact: string): Promise<PortalRecord | undefined> {
    const row = await one(this.sql.query<PortalRow>(`SELECT ${PORTAL} FROM portals WHERE owner = $1 AND contact = $2`, [owner, contact]));
    return row && toPortal(row);
  }

  async byRoom(roomId: string): Promise<PortalRecord | undefined> {
    const row = await one(this.sql.query<PortalRow>(`SELECT ${PORTAL} FROM portals WHERE room_id = $1`, [roomId]));
    return row && toPortal(row);
  }

  async ensure(owner: string, contact: string): Promise<PortalRecord> {
    await this.sql.query('INSERT INTO portals (owner, contact, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [owner, contact, Date.now()]);
    return (await this.get(owner, contact)) as PortalRecord;
  }

  async setRoom(owner: string, contact: string, roomId: string | null, options: { setupPending?: boolean } = {}): Promise<void> {
    await this.sql.query('UPDATE portals SET room_id = $1, setup_pending = $2 WHERE owner = $3 AND contact = $4', [roomId, options.setupPending === true, owner, contact]);
  }

  async setupDone(owner: string, contact: string): Promise<void> {
    await this.sql.query('UPDATE portals SET setup_pending = false WHERE owner = $1 AND contact = $2', [owner, contact]);
  }

  async setEncrypted(owner: string, contact: string, encrypted: boolean): Promise<void> {
    await this.sql.query('UPDATE portals SET encrypted = $1 WHERE owner = $2 AND contact = $3', [encrypted, owner, contact]);
  }

  async setSecuritySummary(owner: string, contact: string, summary: string): Promise<void> {
    await this.sql.query('UPDATE portals SET security_summary = $1 WHERE owner = $2 AND contact = $3', [summary, owner, contact]);
  }

  async ofOwner(owner: string): Promise<PortalRecord[]> {
    return (await all(this.sql.query<PortalRow>(`SELECT ${PORTAL} FROM portals WHERE owner = $1 ORDER BY created_at, contact COLLATE "C"`, [owner]))).map(toPortal);
  }

  async ofContact(contact: string): Promise<PortalRecord[]> {
    return (await all(this.sql.query<PortalRow>(`SELECT ${PORTAL} FROM portals WHERE contact = $1 ORDER BY created_at, owner COLLATE "C"`, [contact]))).map(toPortal);
  }

  count(): Promise<number> {
    return count(this.sql.query('SELECT COUNT(*) AS n FROM portals'));
  }

  withRoomCount(): Promise<number> {
    return count(this.sql.query('SELECT COUNT(*) AS n FROM portals WHERE room_id IS NOT NULL'));
  }
}

const MESSAGE = 'owner, contact, remote_id, part, sender, room_id, event_id, timestamp';

export class PostgresMessages implements MessageRepository {
  constructor(private readonly sql: Sql) {}

  async put(m: MessageRecord): Promise<void> {
    await this.sql.query(
      `INSERT INTO messages (${MESSAGE}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
      [m.owner, m.contact, m.remoteId, m.part, m.sender, m.roomId, m.eventId, m.timestamp],
    );
  }

  async byRemoteId(owner: string, contact: string, remoteId: string): Promise<MessageRecord[]> {
    const rows = await all(this.sql.query<MessageRow>(`SELECT ${MESSAGE} FROM messages WHERE owner = $1 AND contact = $2 AND remote_id = $3 ORDER BY part`, [owner, contact, remoteId]));
    return rows.map(toMessage);
  }

  async byEvent(roomId: string, eventId: string): Promise<MessageRecord | undefined> {
    const row = await one(this.sql.query<MessageRow>(`SELECT ${MESSAGE} FROM messages WHERE room_id = $1 AND event_id = $2`, [roomId, eventId]));
    return row && toMessage(row);
  }

  async latest(owner: string, contact: string, sender?: string): Promise<MessageRecord | undefined> {
    // ties in time go to the one stored last (SQLite's rowid; `seq` here)
    const row = await one(sender === undefined
      ? this.sql.query<MessageRow>(`SELECT ${MESSAGE} FROM messages WHERE owner = $1 AND contact = $2 ORDER BY timestamp DESC, seq DESC LIMIT 1`, [owner, contact])
      : this.sql.query<MessageRow>(
        `SELECT ${MESSAGE} FROM messages WHERE owner = $1 AND contact = $2 AND sender = $3 ORDER BY timestamp DESC, seq DESC LIMIT 1`, [owner, contact, sender],
      ));
    return row && toMessage(row);
  }

  removeByRemoteId(owner: string, contact: string, remoteId: string): Promise<number> {
    return changed(this.sql.query('DELETE FROM messages WHERE owner = $1 AND contact = $2 AND remote_id = $3', [owner, contact, remoteId]));
  }
}

export class PostgresReactions implements ReactionRepository {
  constructor(private readonly sql: Sql) {}

  put(r: ReactionRecord): Promise<void> {
    // SQLite's INSERT OR REPLACE replaces the row that clashes on either key (the reaction, or
    // its event); ON CONFLICT names one key only, so the clashing rows go first
    return this.sql.transaction(async (sql) => {
      await sql.query(
        `DELETE FROM reactions WHERE (owner = $1 AND contact = $2 AND target_remote_id = $3 AND sender = $4 AND emoji = $5)
           OR (room_id = $6 AND event_id = $7)`,
        [r.owner, r.contact, r.targetRemoteId, r.sender, r.emoji, r.roomId, r.eventId],
      );
      await sql.query(
        'INSERT INTO reactions (owner, contact, target_remote_id, sender, emoji, room_id, event_id) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [r.owner, r.contact, r.targetRemoteId, r.sender, r.emoji, r.roomId, r.eventId],
      );
    });
  }

  async byEvent(roomId: string, eventId: string): Promise<ReactionRecord | undefined> {
    const row = await one(this.sql.query<ReactionRow>('SELECT * FROM reactions WHERE room_id = $1 AND event_id = $2', [roomId, eventId]));
    return row && toReaction(row);
  }

  async bySender(owner: string, contact: string, targetRemoteId: string, sender: string): Promise<ReactionRecord[]> {
    const rows = await all(this.sql.query<ReactionRow>(
      'SELECT * FROM reactions WHERE owner = $1 AND contact = $2 AND target_remote_id = $3 AND sender = $4 ORDER BY emoji COLLATE "C"',
      [owner, contact, targetRemoteId, sender],
    ));
    return rows.map(toReaction);
  }

  async remove(roomId: string, eventId: string): Promise<boolean> {
    return (await changed(this.sql.query('DELETE FROM reactions WHERE room_id = $1 AND event_id = $2', [roomId, eventId]))) > 0;
  }
}
