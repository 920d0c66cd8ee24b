/** SQLite repositories for portals, the message-ID map and reactions. */
import type Database from 'better-sqlite3';
import type {
  MessageRecord, MessageRepository, PortalRecord, PortalRepository, ReactionRecord, ReactionRepository,
} from '../chat-repositories';
import { toMessage, toReaction, type MessageRow, type ReactionRow } from '../rows';

interface PortalRow {
  owner: string; contact: string; room_id: string | null; encrypted: number; created_at: number; security_summary: string | null; setup_pending: number;
}

const toPortal = (r: PortalRow): PortalRecord => ({
  owner: r.owner, contact: r.contact, roomId: r.room_id, encrypted: r.encrypted === 1, createdAt: r.created_at,
  securitySummary: r.security_summary, setupPending: r.setup_pending === 1,
});

export class SqlitePortals implements PortalRepository {
  constructor(private readonly db: Database.Database) {}

  async get(owner: string, contact: string): Promise<PortalRecord | undefined> {
    const row = this.db.prepare<[string, string], PortalRow>('SELECT * FROM portals WHERE owner = ? AND contact = ?').get(owner, contact);
    return row && toPortal(row);
  }

  async byRoom(roomId: string): Promise<PortalRecord | undefined> {
    const row = this.db.prepare<[string], PortalRow>('SELECT * FROM portals WHERE room_id = ?').get(roomId);
    return row && toPortal(row);
  }

  async ensure(owner: string, contact: string): Promise<PortalRecord> {
    this.db.prepare('INSERT OR IGNORE INTO portals (owner, contact, created_at) VALUES (?, ?, ?)').run(owner, contact, Date.now());
    return (await this.get(owner, contact)) as PortalRecord;
  }

  async setRoom(owner: string, contact: string, roomId: string | null, options: { setupPending?: boolean } = {}): Promise<void> {
    this.db
      .prepare('UPDATE portals SET room_id = ?, setup_pending = ? WHERE owner = ? AND contact = ?')
      .run(roomId, options.setupPending ? 1 : 0, owner, contact);
  }

  async setupDone(owner: string, contact: string): Promise<void> {
    this.db.prepare('UPDATE portals SET setup_pending = 0 WHERE owner = ? AND contact = ?').run(owner, contact);
  }

  async setEncrypted(owner: string, contact: string, encrypted: boolean): Promise<void> {
    this.db.prepare('UPDATE portals SET encrypted = ? WHERE owner = ? AND contact = ?').run(encrypted ? 1 : 0, owner, contact);
  }

  async setSecuritySummary(owner: string, contact: string, summary: string): Promise<void> {
    this.db.prepare('UPDATE portals SET security_summary = ? WHERE owner = ? AND contact = ?').run(summary, owner, contact);
  }

  async ofOwner(owner: string): Promise<PortalRecord[]> {
    return this.db.prepare<[string], PortalRow>('SELECT * FROM portals WHERE owner = ? ORDER BY created_at').all(owner).map(toPortal);
  }

  async ofContact(contact: string): Promise<PortalRecord[]> {
    return this.db.prepare<[string], PortalRow>('SELECT * FROM portals WHERE contact = ? ORDER BY created_at').all(contact).map(toPortal);
  }

  async count(): Promise<number> {
    return (this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM portals').get() as { n: number }).n;
  }

  async withRoomCount(): Promise<number> {
    return (this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM portals WHERE room_id IS NOT NULL').get() as { n: number }).n;
  }
}

export class SqliteMessages implements MessageRepository {
  constructor(private readonly db: Database.Database) {}

  async put(m: MessageRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO messages (owner, contact, remote_id, part, sender, room_id, event_id, timestamp)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(m.owner, m.contact, m.remoteId, m.part, m.sender, m.roomId, m.eventId, m.timestamp);
  }

  async byRemoteId(owner: string, contact: string, remoteId: string): Promise<MessageRecord[]> {
    return this.db
      .prepare<[string, string, string], MessageRow>('SELECT * FROM messages WHERE owner = ? AND contact = ? AND remote_id = ? ORDER BY part')
      .all(owner, contact, remoteId)
      .map(toMessage);
  }

  async byEvent(roomId: string, eventId: string): Promise<MessageRecord | undefined> {
    const row = this.db.prepare<[string, string], MessageRow>('SELECT * FROM messages WHERE room_id = ? AND event_id = ?').get(roomId, eventId);
    return row && toMessage(row);
  }

  async latest(owner: string, contact: string, sender?: string): Promise<MessageRecord | undefined> {
    const row =
      sender === undefined
        ? this.db
            .prepare<[string, string], MessageRow>('SELECT * FROM messages WHERE owner = ? AND contact = ? ORDER BY timestamp DESC, rowid DESC LIMIT 1')
            .get(owner, contact)
        : this.db
            .prepare<[string, string, string], MessageRow>(
              'SELECT * FROM messages WHERE owner = ? AND contact = ? AND sender = ? ORDER BY timestamp DESC, rowid DESC LIMIT 1',
            )
            .get(owner, contact, sender);
    return row && toMessage(row);
  }

  async removeByRemoteId(owner: string, contact: string, remoteId: string): Promise<number> {
    return this.db.prepare('DELETE FROM messages WHERE owner = ? AND contact = ? AND remote_id = ?').run(owner, contact, remoteId).changes;
  }
}

export class SqliteReactions implements ReactionRepository {
  constructor(private readonly db: Database.Database) {}

  async put(r: ReactionRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO reactions (owner, contact, target_remote_id, sender, emoji, room_id, event_id)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(r.owner, r.contact, r.targetRemoteId, r.sender, r.emoji, r.roomId, r.eventId);
  }

  async byEvent(roomId: string, eventId: string): Promise<ReactionRecord | undefined> {
    const row = this.db.prepare<[string, string], ReactionRow>('SELECT * FROM reactions WHERE room_id = ? AND event_id = ?').get(roomId, eventId);
    return row && toReaction(row);
  }

  async bySender(owner: string, contact: string, targetRemoteId: string, sender: string): Promise<ReactionRecord[]> {
    return this.db
      .prepare<[string, string, string, string], ReactionRow>(
        'SELECT * FROM reactions WHERE owner = ? AND contact = ? AND target_remote_id = ? AND sender = ?',
      )
      .all(owner, contact, targetRemoteId, sender)
      .map(toReaction);
  }

  async remove(roomId: string, eventId: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM reactions WHERE room_id = ? AND event_id = ?').run(roomId, eventId).changes > 0;
  }
}
