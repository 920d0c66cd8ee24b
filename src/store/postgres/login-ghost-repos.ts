/** PostgreSQL repositories for logins and ghosts (the rules are ../sqlite/login-ghost-repos.ts's). */
import type { GhostRecord, LoginRecord, PendingLoginRecord } from '../chat-repositories';
import type { GhostRepository, LoginRepository } from '../chat-repositories';
import { all, changed, count, one, type Sql } from './sql';
import { toGhost, toLogin, type GhostRow, type LoginRow } from '../rows';

export class PostgresLogins implements LoginRepository {
  constructor(private readonly sql: Sql) {}

  async get(mxid: string): Promise<LoginRecord | undefined> {
    const row = await one(this.sql.query<LoginRow>('SELECT * FROM logins WHERE mxid = $1', [mxid]));
    return row && toLogin(row);
  }

  async put(mxid: string, phone: string, state: Record<string, unknown>): Promise<void> {
    await this.sql.query(
      `INSERT INTO logins (mxid, phone, state, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (mxid) DO UPDATE SET phone = excluded.phone, state = excluded.state`,
      [mxid, phone, JSON.stringify(state), Date.now()],
    );
  }

  async remove(mxid: string): Promise<boolean> {
    return (await changed(this.sql.query('DELETE FROM logins WHERE mxid = $1', [mxid]))) > 0;
  }

  async all(): Promise<LoginRecord[]> {
    return (await all(this.sql.query<LoginRow>('SELECT * FROM logins ORDER BY created_at, mxid COLLATE "C"'))).map(toLogin);
  }

  async setPending(mxid: string, phone: string, progress: Record<string, unknown>): Promise<void> {
    // requested_at stays that of the login's first stored step: its timeout does not restart
    await this.sql.query(
      `INSERT INTO pending_logins (mxid, phone, requested_at, progress) VALUES ($1, $2, $3, $4)
       ON CONFLICT (mxid) DO UPDATE SET phone = excluded.phone, progress = excluded.progress`,
      [mxid, phone, Date.now(), JSON.stringify(progress)],
    );
  }

  async getPending(mxid: string): Promise<PendingLoginRecord | undefined> {
    const row = await one(this.sql.query<{ phone: string; requested_at: number; progress: string }>(
      'SELECT phone, requested_at, progress FROM pending_logins WHERE mxid = $1', [mxid],
    ));
    return row && { phone: row.phone, progress: JSON.parse(row.progress) as Record<string, unknown>, requestedAt: row.requested_at };
  }

  async clearPending(mxid: string): Promise<void> {
    await this.sql.query('DELETE FROM pending_logins WHERE mxid = $1', [mxid]);
  }
}

export class PostgresGhosts implements GhostRepository {
  constructor(private readonly sql: Sql) {}

  async get(phone: string): Promise<GhostRecord | undefined> {
    const row = await one(this.sql.query<GhostRow>('SELECT * FROM ghosts WHERE phone = $1', [phone]));
    return row && toGhost(row);
  }

  async ensure(phone: string, mxid: string): Promise<GhostRecord> {
    await this.sql.query('INSERT INTO ghosts (phone, mxid) VALUES ($1, $2) ON CONFLICT DO NOTHING', [phone, mxid]);
    return (await this.get(phone)) as GhostRecord;
  }

  async updateProfile(phone: string, p: { displayName: string | null; avatarRef: string | null; avatarMxc: string | null }): Promise<void> {
    await this.sql.query(
      'UPDATE ghosts SET display_name = $1, avatar_ref = $2, avatar_mxc = $3, profile_updated_at = $4 WHERE phone = $5',
      [p.displayName, p.avatarRef, p.avatarMxc, Date.now(), phone],
    );
  }

  count(): Promise<number> {
    return count(this.sql.query('SELECT COUNT(*) AS n FROM ghosts'));
  }
}
