/** PostgreSQL repository of per-user provider choices and of what was dropped from blocked
 *  providers (the rules are ../sqlite/provider-repos.ts's). */
import type { ProviderDrops } from '../provider-repositories';
import type { ProviderRepository } from '../provider-repositories';
import { all, one, type Sql } from './sql';

export class PostgresProviders implements ProviderRepository {
  constructor(private readonly sql: Sql) {}

  async choice(owner: string, provider: string): Promise<boolean | undefined> {
    const row = await one(this.sql.query<{ allowed: boolean }>('SELECT allowed FROM provider_choices WHERE owner = $1 AND provider = $2', [owner, provider]));
    return row?.allowed;
  }

  async choices(owner: string): Promise<Map<string, boolean>> {
    const rows = await all(this.sql.query<{ provider: string; allowed: boolean }>(
      'SELECT provider, allowed FROM provider_choices WHERE owner = $1 ORDER BY provider COLLATE "C"', [owner],
    ));
    return new Map(rows.map((r) => [r.provider, r.allowed]));
  }

  async setChoice(owner: string, provider: string, allowed: boolean): Promise<void> {
    await this.sql.query(
      `INSERT INTO provider_choices (owner, provider, allowed, chosen_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (owner, provider) DO UPDATE SET allowed = excluded.allowed, chosen_at = excluded.chosen_at`,
      [owner, provider, allowed, Date.now()],
    );
  }

  async recordDrop(owner: string, provider: string, e2ee: boolean): Promise<void> {
    await this.sql.query(
      `INSERT INTO provider_drops (owner, provider, e2ee, pending, total) VALUES ($1, $2, $3, 1, 1)
       ON CONFLICT (owner, provider) DO UPDATE SET pending = provider_drops.pending + 1, total = provider_drops.total + 1, e2ee = excluded.e2ee`,
      [owner, provider, e2ee],
    );
  }

  async drops(owner: string): Promise<ProviderDrops | undefined> {
    const rows = await all(this.sql.query<{ provider: string; pending: number }>(
      'SELECT provider, pending FROM provider_drops WHERE owner = $1 AND pending > 0 ORDER BY provider COLLATE "C"', [owner],
    ));
    if (rows.length === 0) return undefined;
    return { messages: rows.reduce((n, r) => n + r.pending, 0), byProvider: new Map(rows.map((r) => [r.provider, r.pending])) };
  }

  clearDrops(owner: string, reported: ReadonlyMap<string, number>, at: number): Promise<void> {
    return this.sql.transaction(async (sql) => {
      for (const [provider, messages] of reported) {
        await sql.query('UPDATE provider_drops SET pending = GREATEST(0, pending - $1) WHERE owner = $2 AND provider = $3', [messages, owner, provider]);
      }
      await sql.query('INSERT INTO provider_summaries (owner, last_at) VALUES ($1, $2) ON CONFLICT (owner) DO UPDATE SET last_at = excluded.last_at', [owner, at]);
    });
  }

  async lastSummaryAt(owner: string): Promise<number | undefined> {
    return (await one(this.sql.query<{ last_at: number }>('SELECT last_at FROM provider_summaries WHERE owner = $1', [owner])))?.last_at;
  }

  async ownersWithDrops(): Promise<string[]> {
    const rows = await all(this.sql.query<{ owner: string }>('SELECT owner FROM provider_drops WHERE pending > 0 GROUP BY owner ORDER BY owner COLLATE "C"'));
    return rows.map((r) => r.owner);
  }

  async seen(owner: string): Promise<Map<string, boolean>> {
    // drops and requests first, so a contact's e2ee, the freshest, wins (all are what envelopes
    // said); the order of the parts is kept by `part`, which UNION ALL alone does not promise
    const rows = await all(this.sql.query<{ provider: string; e2ee: boolean }>(
      `SELECT provider, e2ee FROM (
         SELECT 1 AS part, provider, e2ee FROM provider_drops WHERE owner = $1
         UNION ALL
         SELECT 2, provider, e2ee FROM message_requests WHERE owner = $1 AND provider <> 'unknown'
         UNION ALL
         SELECT 3, provider, e2ee FROM contacts WHERE owner = $1 AND provider IS NOT NULL AND e2ee IS NOT NULL
       ) seen ORDER BY part`,
      [owner],
    ));
    return new Map(rows.map((r) => [r.provider, r.e2ee]));
  }
}
