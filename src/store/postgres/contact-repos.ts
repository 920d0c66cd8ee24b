/** PostgreSQL repositories for contact security, held messages and unreadable-message
 *  stretches (the rules are ../sqlite/contact-repos.ts's). */
import type { ContactRecord, HeldMessage, UnreadableStreak } from '../chat-repositories';
import type { ContactRepository, HeldMessageRepository, UnreadableStreakRepository } from '../chat-repositories';
import { all, count, one, type Sql } from './sql';

type ContactRow = {
  owner: string; contact: string; provider: string | null; e2ee: boolean | null; bridged: boolean | null;
  identity_fingerprint: string | null; verified: boolean; key_changed_at: number | null;
};

const toContact = (r: ContactRow): ContactRecord => ({
  owner: r.owner, contact: r.contact, provider: r.provider, e2ee: r.e2ee, bridged: r.bridged,
  identityFingerprint: r.identity_fingerprint, verified: r.verified, keyChangedAt: r.key_changed_at,
});

export class PostgresContacts implements ContactRepository {
  constructor(private readonly sql: Sql) {}

  private async ensure(owner: string, contact: string): Promise<void> {
    await this.sql.query('INSERT INTO contacts (owner, contact) VALUES ($1, $2) ON CONFLICT DO NOTHING', [owner, contact]);
  }

  async get(owner: string, contact: string): Promise<ContactRecord | undefined> {
    const row = await one(this.sql.query<ContactRow>('SELECT * FROM contacts WHERE owner = $1 AND contact = $2', [owner, contact]));
    return row && toContact(row);
  }

  async observe(owner: string, contact: string, seen: { provider?: string; e2ee?: boolean; bridged?: boolean }): Promise<ContactRecord> {
    await this.ensure(owner, contact);
    await this.sql.query(
      `UPDATE contacts SET provider = COALESCE($1, provider), e2ee = COALESCE($2, e2ee), bridged = COALESCE($3, bridged)
       WHERE owner = $4 AND contact = $5`,
      [seen.provider ?? null, seen.e2ee ?? null, seen.bridged ?? null, owner, contact],
    );
    return (await this.get(owner, contact)) as ContactRecord;
  }

  async keyChanged(owner: string, contact: string, fingerprint: string): Promise<ContactRecord> {
    await this.ensure(owner, contact);
    await this.sql.query(
      'UPDATE contacts SET identity_fingerprint = $1, verified = false, key_changed_at = $2 WHERE owner = $3 AND contact = $4',
      [fingerprint, Date.now(), owner, contact],
    );
    return (await this.get(owner, contact)) as ContactRecord;
  }

  async setFingerprint(owner: string, contact: string, fingerprint: string): Promise<void> {
    await this.ensure(owner, contact);
    await this.sql.query('UPDATE contacts SET identity_fingerprint = $1 WHERE owner = $2 AND contact = $3', [fingerprint, owner, contact]);
  }

  async setVerified(owner: string, contact: string, verified: boolean): Promise<void> {
    await this.ensure(owner, contact);
    await this.sql.query(
      'UPDATE contacts SET verified = $1, key_changed_at = CASE WHEN $1 THEN NULL ELSE key_changed_at END WHERE owner = $2 AND contact = $3',
      [verified, owner, contact],
    );
  }

  async unencryptedSeen(owner: string, contact: string): Promise<number> {
    await this.ensure(owner, contact);
    const row = await one(this.sql.query<{ seen: number }>(
      'UPDATE contacts SET unencrypted_seen = unencrypted_seen + 1 WHERE owner = $1 AND contact = $2 RETURNING unencrypted_seen AS seen',
      [owner, contact],
    ));
    return row?.seen ?? 0;
  }

  async unencryptedNoticeDue(owner: string, contact: string): Promise<number | undefined> {
    const row = await one(this.sql.query<{ seen: number }>(
      'SELECT unencrypted_seen AS seen FROM contacts WHERE owner = $1 AND contact = $2 AND unencrypted_seen > unencrypted_noticed',
      [owner, contact],
    ));
    return row?.seen;
  }

  async unencryptedNoticed(owner: string, contact: string, seen: number): Promise<void> {
    await this.sql.query('UPDATE contacts SET unencrypted_noticed = GREATEST(unencrypted_noticed, $1) WHERE owner = $2 AND contact = $3', [seen, owner, contact]);
  }
}

type HeldRow = { id: number; owner: string; contact: string; message: string; held_at: number };

export class PostgresHeldMessages implements HeldMessageRepository {
  constructor(private readonly sql: Sql) {}

  async hold(owner: string, contact: string, message: Record<string, unknown>, remoteId?: string): Promise<number> {
    const inserted = await one(this.sql.query<{ id: number }>(
      'INSERT INTO held_messages (owner, contact, message, held_at, remote_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id',
      [owner, contact, JSON.stringify(message), Date.now(), remoteId ?? null],
    ));
    if (inserted) return inserted.id;
    const row = await one(this.sql.query<{ id: number }>(
      'SELECT id FROM held_messages WHERE owner = $1 AND contact = $2 AND remote_id = $3', [owner, contact, remoteId ?? ''],
    ));
    return row?.id ?? 0;
  }

  async of(owner: string, contact: string): Promise<HeldMessage[]> {
    const rows = await all(this.sql.query<HeldRow>('SELECT id, owner, contact, message, held_at FROM held_messages WHERE owner = $1 AND contact = $2 ORDER BY id', [owner, contact]));
    return rows.map((r) => ({ id: r.id, owner: r.owner, contact: r.contact, message: JSON.parse(r.message) as Record<string, unknown>, heldAt: r.held_at }));
  }

  async release(id: number): Promise<void> {
    await this.sql.query('DELETE FROM held_messages WHERE id = $1', [id]);
  }

  count(owner: string, contact: string): Promise<number> {
    return count(this.sql.query('SELECT COUNT(*) AS n FROM held_messages WHERE owner = $1 AND contact = $2', [owner, contact]));
  }
}

type StreakRow = { owner: string; contact: string; started_at: number; suppressed: number; reported: number };
const streakOf = (r: StreakRow): UnreadableStreak => ({ owner: r.owner, contact: r.contact, startedAt: r.started_at, suppressed: r.suppressed, reported: r.reported });

export class PostgresUnreadableStreaks implements UnreadableStreakRepository {
  constructor(private readonly sql: Sql) {}

  async get(owner: string, contact: string): Promise<UnreadableStreak | undefined> {
    const row = await one(this.sql.query<StreakRow>('SELECT * FROM unreadable_streaks WHERE owner = $1 AND contact = $2', [owner, contact]));
    return row && streakOf(row);
  }

  async start(owner: string, contact: string, at: number): Promise<void> {
    await this.sql.query(
      `INSERT INTO unreadable_streaks (owner, contact, started_at, suppressed, reported) VALUES ($1, $2, $3, 0, 0)
       ON CONFLICT (owner, contact) DO UPDATE SET started_at = excluded.started_at, suppressed = 0, reported = 0`,
      [owner, contact, at],
    );
  }

  async suppress(owner: string, contact: string): Promise<void> {
    await this.sql.query('UPDATE unreadable_streaks SET suppressed = suppressed + 1 WHERE owner = $1 AND contact = $2', [owner, contact]);
  }

  async summarised(owner: string, contact: string): Promise<void> {
    await this.sql.query('UPDATE unreadable_streaks SET reported = reported + suppressed, suppressed = 0 WHERE owner = $1 AND contact = $2', [owner, contact]);
  }

  async unreported(owner: string): Promise<UnreadableStreak[]> {
    return (await all(this.sql.query<StreakRow>('SELECT * FROM unreadable_streaks WHERE owner = $1 AND suppressed > 0 ORDER BY contact COLLATE "C"', [owner]))).map(streakOf);
  }
}
