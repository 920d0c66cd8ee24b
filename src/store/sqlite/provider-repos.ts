/** SQLite repository of per-user provider choices and of what was dropped from blocked providers. */
import type Database from 'better-sqlite3';
import type { ProviderDrops, ProviderRepository } from '../provider-repositories';

export class SqliteProviders implements ProviderRepository {
  constructor(private readonly db: Database.Database) {}

  async choice(owner: string, provider: string): Promise<boolean | undefined> {
    const row = this.db
      .prepare<[string, string], { allowed: number }>('SELECT allowed FROM provider_choices WHERE owner = ? AND provider = ?')
      .get(owner, provider);
    return row && row.allowed === 1;
  }

  async choices(owner: string): Promise<Map<string, boolean>> {
    const rows = this.db
      .prepare<[string], { provider: string; allowed: number }>('SELECT provider, allowed FROM provider_choices WHERE owner = ? ORDER BY provider')
      .all(owner);
    return new Map(rows.map((r) => [r.provider, r.allowed === 1]));
  }

  async setChoice(owner: string, provider: string, allowed: boolean): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO provider_choices (owner, provider, allowed, chosen_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (owner, provider) DO UPDATE SET allowed = excluded.allowed, chosen_at = excluded.chosen_at`,
      )
      .run(owner, provider, allowed ? 1 : 0, Date.now());
  }

  async recordDrop(owner: string, provider: string, e2ee: boolean): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO provider_drops (owner, provider, e2ee, pending, total) VALUES (?, ?, ?, 1, 1)
           ON CONFLICT (owner, provider) DO UPDATE SET pending = pending + 1, total = total + 1, e2ee = excluded.e2ee`,
      )
      .run(owner, provider, e2ee ? 1 : 0);
  }

  async drops(owner: string): Promise<ProviderDrops | undefined> {
    const rows = this.db
      .prepare<[string], { provider: string; pending: number }>(
        'SELECT provider, pending FROM provider_drops WHERE owner = ? AND pending > 0 ORDER BY provider',
      )
      .all(owner);
    if (rows.length === 0) return undefined;
    return { messages: rows.reduce((n, r) => n + r.pending, 0), byProvider: new Map(rows.map((r) => [r.provider, r.pending])) };
  }

  async clearDrops(owner: string, reported: ReadonlyMap<string, number>, at: number): Promise<void> {
    const subtract = this.db.prepare('UPDATE provider_drops SET pending = MAX(0, pending - ?) WHERE owner = ? AND provider = ?');
    this.db.transaction(() => {
      for (const [provider, messages] of reported) subtract.run(messages, owner, provider);
      this.db
        .prepare('INSERT INTO provider_summaries (owner, last_at) VALUES (?, ?) ON CONFLICT (owner) DO UPDATE SET last_at = excluded.last_at')
        .run(owner, at);
    })();
  }

  async lastSummaryAt(owner: string): Promise<number | undefined> {
    return this.db.prepare<[string], { last_at: number }>('SELECT last_at FROM provider_summaries WHERE owner = ?').get(owner)?.last_at;
  }

  async ownersWithDrops(): Promise<string[]> {
    return this.db
      .prepare<[], { owner: string }>('SELECT DISTINCT owner FROM provider_drops WHERE pending > 0 ORDER BY owner')
      .all()
      .map((r) => r.owner);
  }

  async seen(owner: string): Promise<Map<string, boolean>> {
    // drops and requests first, so a contact's e2ee, the freshest, wins (all are what envelopes said)
    const rows = this.db
      .prepare<[string, string, string], { provider: string; e2ee: number }>(
        `SELECT provider, e2ee FROM provider_drops WHERE owner = ?
         UNION ALL
         SELECT provider, e2ee FROM message_requests WHERE owner = ? AND provider <> 'unknown'
         UNION ALL
         SELECT provider, e2ee FROM contacts WHERE owner = ? AND provider IS NOT NULL AND e2ee IS NOT NULL`,
      )
      .all(owner, owner, owner);
    return new Map(rows.map((r) => [r.provider, r.e2ee === 1]));
  }
}
