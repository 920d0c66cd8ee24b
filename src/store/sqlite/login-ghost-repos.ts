/** SQLite repositories for logins and ghosts. */
import type Database from 'better-sqlite3';
import type { GhostRecord, GhostRepository, LoginRecord, LoginRepository, PendingLoginRecord } from '../chat-repositories';
import { toGhost, toLogin, type GhostRow, type LoginRow } from '../rows';

export class SqliteLogins implements LoginRepository {
  constructor(private readonly db: Database.Database) {}

  async get(mxid: string): Promise<LoginRecord | undefined> {
    const row = this.db.prepare<[string], LoginRow>('SELECT * FROM logins WHERE mxid = ?').get(mxid);
    return row && toLogin(row);
  }

  async put(mxid: string, phone: string, state: Record<string, unknown>): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO logins (mxid, phone, state, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (mxid) DO UPDATE SET phone = excluded.phone, state = excluded.state`,
      )
      .run(mxid, phone, JSON.stringify(state), Date.now());
  }

  async remove(mxid: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM logins WHERE mxid = ?').run(mxid).changes > 0;
  }

  async all(): Promise<LoginRecord[]> {
    return this.db.prepare<[], LoginRow>('SELECT * FROM logins ORDER BY created_at').all().map(toLogin);
  }

  async setPending(mxid: string, phone: string, progress: Record<string, unknown>): Promise<void> {
    // requested_at stays that of the login's first stored step: its timeout does not restart
    this.db
      .prepare(
        `INSERT INTO pending_logins (mxid, phone, requested_at, progress) VALUES (?, ?, ?, ?)
         ON CONFLICT (mxid) DO UPDATE SET phone = excluded.phone, progress = excluded.progress`,
      )
      .run(mxid, phone, Date.now(), JSON.stringify(progress));
  }

  async getPending(mxid: string): Promise<PendingLoginRecord | undefined> {
    const row = this.db
      .prepare<[string], { phone: string; requested_at: number; progress: string }>(
        'SELECT phone, requested_at, progress FROM pending_logins WHERE mxid = ?',
      )
      .get(mxid);
    return row && { phone: row.phone, progress: JSON.parse(row.progress) as Record<string, unknown>, requestedAt: row.requested_at };
  }

  async clearPending(mxid: string): Promise<void> {
    this.db.prepare('DELETE FROM pending_logins WHERE mxid = ?').run(mxid);
  }
}

export class SqliteGhosts implements GhostRepository {
  constructor(private readonly db: Database.Database) {}

  async get(phone: string): Promise<GhostRecord | undefined> {
    const row = this.db.prepare<[string], GhostRow>('SELECT * FROM ghosts WHERE phone = ?').get(phone);
    return row && toGhost(row);
  }

  async ensure(phone: string, mxid: string): Promise<GhostRecord> {
    this.db.prepare('INSERT OR IGNORE INTO ghosts (phone, mxid) VALUES (?, ?)').run(phone, mxid);
    return (await this.get(phone)) as GhostRecord;
  }

  async updateProfile(phone: string, p: { displayName: string | null; avatarRef: string | null; avatarMxc: string | null }): Promise<void> {
    this.db
      .prepare('UPDATE ghosts SET display_name = ?, avatar_ref = ?, avatar_mxc = ?, profile_updated_at = ? WHERE phone = ?')
      .run(p.displayName, p.avatarRef, p.avatarMxc, Date.now(), phone);
  }

  async count(): Promise<number> {
    return (this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM ghosts').get() as { n: number }).n;
  }
}
