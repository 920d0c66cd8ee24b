/** PostgreSQL repository of blocked numbers and of how far the network is with them (the
 *  rules are ../sqlite/block-repos.ts's). */
import type { BlockedContact, BlockSyncRecord, BlockSyncState } from '../block-repositories';
import type { BlockRepository } from '../block-repositories';
import { all, changed, count, one, type Sql } from './sql';

type SyncRow = { owner: string; state: BlockSyncState; detail: string | null; told_pending: boolean; told_unsupported: boolean };

export class PostgresBlocks implements BlockRepository {
  constructor(private readonly sql: Sql) {}

  async list(owner: string): Promise<BlockedContact[]> {
    const rows = await all(this.sql.query<{ contact: string; blocked_at: number }>(
      'SELECT contact, blocked_at FROM blocked_contacts WHERE owner = $1 ORDER BY blocked_at, contact COLLATE "C"', [owner],
    ));
    return rows.map((r) => ({ owner, contact: r.contact, blockedAt: r.blocked_at }));
  }

  async isBlocked(owner: string, contact: string): Promise<boolean> {
    return (await one(this.sql.query('SELECT 1 FROM blocked_contacts WHERE owner = $1 AND contact = $2', [owner, contact]))) !== undefined;
  }

  count(owner: string): Promise<number> {
    return count(this.sql.query('SELECT COUNT(*) AS n FROM blocked_contacts WHERE owner = $1', [owner]));
  }

  async add(owner: string, contact: string): Promise<boolean> {
    return (await changed(this.sql.query(
      'INSERT INTO blocked_contacts (owner, contact, blocked_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [owner, contact, Date.now()],
    ))) > 0;
  }

  async remove(owner: string, contact: string): Promise<boolean> {
    return (await changed(this.sql.query('DELETE FROM blocked_contacts WHERE owner = $1 AND contact = $2', [owner, contact]))) > 0;
  }

  async syncState(owner: string): Promise<BlockSyncRecord | undefined> {
    const row = await one(this.sql.query<SyncRow>('SELECT * FROM block_sync WHERE owner = $1', [owner]));
    return row && { owner, state: row.state, detail: row.detail, toldPending: row.told_pending, toldUnsupported: row.told_unsupported };
  }

  async setSyncState(owner: string, state: BlockSyncState, detail: string | null = null, told: { pending?: boolean; unsupported?: boolean } = {}): Promise<void> {
    // a told… flag left out (null here) keeps its value
    await this.sql.query(
      `INSERT INTO block_sync (owner, state, detail, told_pending, told_unsupported)
         VALUES ($1, $2, $3, COALESCE($4::boolean, false), COALESCE($5::boolean, false))
       ON CONFLICT (owner) DO UPDATE SET state = excluded.state, detail = excluded.detail,
         told_pending = COALESCE($4::boolean, block_sync.told_pending), told_unsupported = COALESCE($5::boolean, block_sync.told_unsupported)`,
      [owner, state, detail, told.pending ?? null, told.unsupported ?? null],
    );
  }
}
