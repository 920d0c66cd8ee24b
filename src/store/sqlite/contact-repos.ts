/** SQLite repositories for contact security, held messages and unreadable-message stretches. */
import type Database from 'better-sqlite3';
import type {
  ContactRecord, ContactRepository, HeldMessage, HeldMessageRepository, UnreadableStreak, UnreadableStreakRepository,
} from '../chat-repositories';

interface ContactRow {
  owner: string; contact: string; provider: string | null; e2ee: number | null; bridged: number | null;
  identity_fingerprint: string | null; verified: number; key_changed_at: number | null;
}

const bool = (v: number | null): boolean | null => (v === null ? null : v === 1);
const toContact = (r: ContactRow): ContactRecord => ({
  owner: r.owner, contact: r.contact, provider: r.provider, e2ee: bool(r.e2ee), bridged: bool(r.bridged),
  identityFingerprint: r.identity_fingerprint, verified: r.verified === 1, keyChangedAt: r.key_changed_at,
});

export class SqliteContacts implements ContactRepository {
  constructor(private readonly db: Database.Database) {}

  private ensure(owner: string, contact: string): void {
    this.db.prepare('INSERT OR IGNORE INTO contacts (owner, contact) VALUES (?, ?)').run(owner, contact);
  }

  async get(owner: string, contact: string): Promise<ContactRecord | undefined> {
    const row = this.db.prepare<[string, string], ContactRow>('SELECT * FROM contacts WHERE owner = ? AND contact = ?').get(owner, contact);
    return row && toContact(row);
  }

  async observe(owner: string, contact: string, seen: { provider?: string; e2ee?: boolean; bridged?: boolean }): Promise<ContactRecord> {
    this.ensure(owner, contact);
    const b = (v: boolean | undefined) => (v === undefined ? null : v ? 1 : 0);
    this.db
      .prepare(
        `UPDATE contacts SET provider = COALESCE(?, provider), e2ee = COALESCE(?, e2ee), bridged = COALESCE(?, bridged)
         WHERE owner = ? AND contact = ?`,
      )
      .run(seen.provider ?? null, b(seen.e2ee), b(seen.bridged), owner, contact);
    return (await this.get(owner, contact)) as ContactRecord;
  }

  async keyChanged(owner: string, contact: string, fingerprint: string): Promise<ContactRecord> {
    this.ensure(owner, contact);
    this.db
      .prepare('UPDATE contacts SET identity_fingerprint = ?, verified = 0, key_changed_at = ? WHERE owner = ? AND contact = ?')
      .run(fingerprint, Date.now(), owner, contact);
    return (await this.get(owner, contact)) as ContactRecord;
  }

  async setFingerprint(owner: string, contact: string, fingerprint: string): Promise<void> {
    this.ensure(owner, contact);
    this.db.prepare('UPDATE contacts SET identity_fingerprint = ? WHERE owner = ? AND contact = ?').run(fingerprint, owner, contact);
  }

  async setVerified(owner: string, contact: string, verified: boolean): Promise<void> {
    this.ensure(owner, contact);
    this.db
      .prepare('UPDATE contacts SET verified = ?, key_changed_at = CASE WHEN ? THEN NULL ELSE key_changed_at END WHERE owner = ? AND contact = ?')
      .run(verified ? 1 : 0, verified ? 1 : 0, owner, contact);
  }

  async unencryptedSeen(owner: string, contact: string): Promise<number> {
    this.ensure(owner, contact);
    const row = this.db
      .prepare<[string, string], { seen: number }>('UPDATE contacts SET unencrypted_seen = unencrypted_seen + 1 WHERE owner = ? AND contact = ? RETURNING unencrypted_seen AS seen')
      .get(owner, contact);
    return row?.seen ?? 0;
  }

  async unencryptedNoticeDue(owner: string, contact: string): Promise<number | undefined> {
    const row = this.db
      .prepare<[string, string], { seen: number }>('SELECT unencrypted_seen AS seen FROM contacts WHERE owner = ? AND contact = ? AND unencrypted_seen > unencrypted_noticed')
      .get(owner, contact);
    return row?.seen;
  }

  async unencryptedNoticed(owner: string, contact: string, seen: number): Promise<void> {
    this.db.prepare('UPDATE contacts SET unencrypted_noticed = MAX(unencrypted_noticed, ?) WHERE owner = ? AND contact = ?').run(seen, owner, contact);
  }
}

interface HeldRow { id: number; owner: string; contact: string; message: string; held_at: number }

export class SqliteHeldMessages implements HeldMessageRepository {
  constructor(private readonly db: Database.Database) {}

  async hold(owner: string, contact: string, message: Record<string, unknown>, remoteId?: string): Promise<number> {
    const inserted = this.db
      .prepare('INSERT OR IGNORE INTO held_messages (owner, contact, message, held_at, remote_id) VALUES (?, ?, ?, ?, ?)')
      .run(owner, contact, JSON.stringify(message), Date.now(), remoteId ?? null);
    if (inserted.changes > 0) return Number(inserted.lastInsertRowid);
    const row = this.db
      .prepare<[string, string, string], { id: number }>('SELECT id FROM held_messages WHERE owner = ? AND contact = ? AND remote_id = ?')
      .get(owner, contact, remoteId ?? '');
    return row?.id ?? 0;
  }

  async of(owner: string, contact: string): Promise<HeldMessage[]> {
    return this.db
      .prepare<[string, string], HeldRow>('SELECT * FROM held_messages WHERE owner = ? AND contact = ? ORDER BY id')
      .all(owner, contact)
      .map((r) => ({ id: r.id, owner: r.owner, contact: r.contact, message: JSON.parse(r.message) as Record<string, unknown>, heldAt: r.held_at }));
  }

  async release(id: number): Promise<void> {
    this.db.prepare('DELETE FROM held_messages WHERE id = ?').run(id);
  }

  async count(owner: string, contact: string): Promise<number> {
    return (this.db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM held_messages WHERE owner = ? AND contact = ?').get(owner, contact) as { n: number }).n;
  }
}

interface StreakRow { owner: string; contact: string; started_at: number; suppressed: number; reported: number }
const streakOf = (r: StreakRow): UnreadableStreak => ({ owner: r.owner, contact: r.contact, startedAt: r.started_at, suppressed: r.suppressed, reported: r.reported });

export class SqliteUnreadableStreaks implements UnreadableStreakRepository {
  constructor(private readonly db: Database.Database) {}

  async get(owner: string, contact: string): Promise<UnreadableStreak | undefined> {
    const row = this.db.prepare<[string, string], StreakRow>('SELECT * FROM unreadable_streaks WHERE owner = ? AND contact = ?').get(owner, contact);
    return row ? streakOf(row) : undefined;
  }

  async start(owner: string, contact: string, at: number): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO unreadable_streaks (owner, contact, started_at, suppressed, reported) VALUES (?, ?, ?, 0, 0)').run(owner, contact, at);
  }

  async suppress(owner: string, contact: string): Promise<void> {
    this.db.prepare('UPDATE unreadable_streaks SET suppressed = suppressed + 1 WHERE owner = ? AND contact = ?').run(owner, contact);
  }

  async summarised(owner: string, contact: string): Promise<void> {
    this.db.prepare('UPDATE unreadable_streaks SET reported = reported + suppressed, suppressed = 0 WHERE owner = ? AND contact = ?').run(owner, contact);
  }

  async unreported(owner: string): Promise<UnreadableStreak[]> {
    return this.db.prepare<[string], StreakRow>('SELECT * FROM unreadable_streaks WHERE owner = ? AND suppressed > 0').all(owner).map(streakOf);
  }
}
