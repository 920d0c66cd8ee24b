/** SQLite repository of blocked numbers and of how far the network is with them. */
import type Database from 'better-sqlite3';
import type { BlockedContact, BlockRepository, BlockSyncRecord, BlockSyncState } from '../block-repositories';

interface SyncRow { owner: string; state: BlockSyncState; detail: string | null; told_pending: number; told_unsupported: number }

export class SqliteBlocks implements BlockRepository {
  constructor(private readonly db: Database.Database) {}

  async list(owner: string): Promise<BlockedContact[]> {
    return this.db
      .prepare<[string], { contact: string; blocked_at: number }>('SELECT contact, blocked_at FROM blocked_contacts WHERE owner = ? ORDER BY blocked_at, contact')
      .all(owner)
      .map((r) => ({ owner, contact: r.contact, blockedAt: r.blocked_at }));
  }

  async isBlocked(owner: string, contact: string): Promise<boolean> {
    return this.db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM blocked_contacts WHERE owner = ? AND contact = ?').get(owner, contact) !== undefined;
  }

  async count(owner: string): Promise<number> {
    return (this.db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM blocked_contacts WHERE owner = ?').get(owner) as { n: number }).n;
  }

  async add(owner: string, contact: string): Promise<boolean> {
    return this.db.prepare('INSERT OR IGNORE INTO blocked_contacts (owner, contact, blocked_at) VALUES (?, ?, ?)').run(owner, contact, Date.now()).changes > 0;
  }

  async remove(owner: string, contact: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM blocked_contacts WHERE owner = ? AND contact = ?').run(owner, contact).changes > 0;
  }

  async syncState(owner: string): Promise<BlockSyncRecord | undefined> {
    const row = this.db.prepare<[string], SyncRow>('SELECT * FROM block_sync WHERE owner = ?').get(owner);
    return row && { owner, state: row.state, detail: row.detail, toldPending: row.told_pending === 1, toldUnsupported: row.told_unsupported === 1 };
  }

  async setSyncState(owner: string, state: BlockSyncState, detail: string | null = null, told: { pending?: boolean; unsupported?: boolean } = {}): Promise<void> {
    const flag = (v: boolean | undefined) => (v === undefined ? null : v ? 1 : 0);
    this.db
      .prepare(
        `INSERT INTO block_sync (owner, state, detail, told_pending, told_unsupported) VALUES (?, ?, ?, COALESCE(?, 0), COALESCE(?, 0))
         ON CONFLICT (owner) DO UPDATE SET state = excluded.state, detail = excluded.detail,
           told_pending = COALESCE(?, told_pending), told_unsupported = COALESCE(?, told_unsupported)`,
      )
      .run(owner, state, detail, flag(told.pending), flag(told.unsupported), flag(told.pending), flag(told.unsupported));
  }
}
