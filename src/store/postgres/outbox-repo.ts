/** PostgreSQL outbox: Matrix -> remote jobs, strictly ordered per portal (the rules are
 *  ../sqlite/outbox-repo.ts's). */
import type { OutboxJob } from '../chat-repositories';
import type { OutboxRepository } from '../chat-repositories';
import { all, count, changed, one, type Sql } from './sql';

type OutboxRow = {
  id: number; owner: string; contact: string; source_event_id: string; job: string; state: OutboxJob['state'];
  attempts: number; next_attempt_at: number; last_error: string | null; created_at: number; delay_reported: boolean;
};

const toJob = (r: OutboxRow): OutboxJob => ({
  id: r.id, owner: r.owner, contact: r.contact, sourceEventId: r.source_event_id,
  job: JSON.parse(r.job) as Record<string, unknown>, state: r.state, attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at, lastError: r.last_error, createdAt: r.created_at, delayReported: r.delay_reported,
});

export class PostgresOutbox implements OutboxRepository {
  constructor(private readonly sql: Sql) {}

  async enqueue(owner: string, contact: string, sourceEventId: string, job: Record<string, unknown>): Promise<boolean> {
    const now = Date.now();
    return (await changed(this.sql.query(
      `INSERT INTO outbox (owner, contact, source_event_id, job, next_attempt_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [owner, contact, sourceEventId, JSON.stringify(job), now, now],
    ))) > 0;
  }

  async nextFor(owner: string, contact: string): Promise<OutboxJob | undefined> {
    const row = await one(this.sql.query<OutboxRow>(
      "SELECT * FROM outbox WHERE owner = $1 AND contact = $2 AND state = 'pending' ORDER BY id LIMIT 1", [owner, contact],
    ));
    return row && toJob(row);
  }

  // GROUP BY, not DISTINCT: PostgreSQL orders a DISTINCT only by what it selects, and the
  // order here is byte order (COLLATE "C", as SQLite's), whatever the database's collation
  portalsWithPending(): Promise<{ owner: string; contact: string }[]> {
    return all(this.sql.query<{ owner: string; contact: string }>(
      `SELECT owner, contact FROM outbox WHERE state = 'pending' GROUP BY owner, contact ORDER BY owner COLLATE "C", contact COLLATE "C"`,
    ));
  }

  pendingCount(): Promise<number> {
    return count(this.sql.query("SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending'"));
  }

  async oldestPendingAt(): Promise<number | undefined> {
    const row = await one(this.sql.query<{ at: number | null }>("SELECT MIN(created_at) AS at FROM outbox WHERE state = 'pending'"));
    return row?.at ?? undefined;
  }

  // Once a job is done its content is dropped: the outbox is a queue, not an archive of
  // what people wrote (the event ID stays, so a replayed event is still recognised).
  async markSent(id: number): Promise<void> {
    await this.sql.query("UPDATE outbox SET state = 'sent', last_error = NULL, job = '{}' WHERE id = $1", [id]);
  }

  async retryLater(id: number, error: string, nextAttemptAt: number): Promise<void> {
    await this.sql.query('UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3', [error, nextAttemptAt, id]);
  }

  async markFailed(id: number, error: string): Promise<void> {
    await this.sql.query("UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = $1, job = '{}' WHERE id = $2", [error, id]);
  }

  async get(id: number): Promise<OutboxJob | undefined> {
    const row = await one(this.sql.query<OutboxRow>('SELECT * FROM outbox WHERE id = $1', [id]));
    return row && toJob(row);
  }

  async setDelayReported(id: number, reported: boolean): Promise<void> {
    await this.sql.query('UPDATE outbox SET delay_reported = $1 WHERE id = $2', [reported, id]);
  }

  async delayedUnreported(createdBefore: number): Promise<OutboxJob[]> {
    const rows = await all(this.sql.query<OutboxRow>(
      "SELECT * FROM outbox WHERE state = 'pending' AND NOT delay_reported AND created_at <= $1 ORDER BY id", [createdBefore],
    ));
    return rows.map(toJob);
  }

  async oldestUnreported(): Promise<number | undefined> {
    const row = await one(this.sql.query<{ at: number | null }>("SELECT MIN(created_at) AS at FROM outbox WHERE state = 'pending' AND NOT delay_reported"));
    return row?.at ?? undefined;
  }
}
