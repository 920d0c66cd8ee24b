/** SQLite outbox: Matrix -> remote jobs that survive restarts, strictly ordered per portal. */
import type Database from 'better-sqlite3';
import type { OutboxJob, OutboxRepository } from '../chat-repositories';

interface OutboxRow {
  id: number; owner: string; contact: string; source_event_id: string; job: string; state: OutboxJob['state'];
  attempts: number; next_attempt_at: number; last_error: string | null; created_at: number; delay_reported: number;
}

const toJob = (r: OutboxRow): OutboxJob => ({
  id: r.id, owner: r.owner, contact: r.contact, sourceEventId: r.source_event_id,
  job: JSON.parse(r.job) as Record<string, unknown>, state: r.state, attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at, lastError: r.last_error, createdAt: r.created_at, delayReported: r.delay_reported === 1,
});

export class SqliteOutbox implements OutboxRepository {
  constructor(private readonly db: Database.Database) {}

  async enqueue(owner: string, contact: string, sourceEventId: string, job: Record<string, unknown>): Promise<boolean> {
    const now = Date.now();
    return (
      this.db
        .prepare(
          `INSERT OR IGNORE INTO outbox (owner, contact, source_event_id, job, next_attempt_at, created_at)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(owner, contact, sourceEventId, JSON.stringify(job), now, now).changes > 0
    );
  }

  async nextFor(owner: string, contact: string): Promise<OutboxJob | undefined> {
    const row = this.db
      .prepare<[string, string], OutboxRow>(
        "SELECT * FROM outbox WHERE owner = ? AND contact = ? AND state = 'pending' ORDER BY id LIMIT 1",
      )
      .get(owner, contact);
    return row && toJob(row);
  }

  async portalsWithPending(): Promise<{ owner: string; contact: string }[]> {
    return this.db
      .prepare<[], { owner: string; contact: string }>("SELECT DISTINCT owner, contact FROM outbox WHERE state = 'pending'")
      .all();
  }

  async pendingCount(): Promise<number> {
    return (this.db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending'").get() as { n: number }).n;
  }

  async oldestPendingAt(): Promise<number | undefined> {
    const row = this.db.prepare<[], { at: number | null }>("SELECT MIN(created_at) AS at FROM outbox WHERE state = 'pending'").get();
    return row?.at ?? undefined;
  }

  // Once a job is done its content is dropped: the outbox is a queue, not an archive of
  // what people wrote (the event ID stays, so a replayed event is still recognised).
  async markSent(id: number): Promise<void> {
    this.db.prepare("UPDATE outbox SET state = 'sent', last_error = NULL, job = '{}' WHERE id = ?").run(id);
  }

  async retryLater(id: number, error: string, nextAttemptAt: number): Promise<void> {
    this.db
      .prepare('UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?')
      .run(error, nextAttemptAt, id);
  }

  async markFailed(id: number, error: string): Promise<void> {
    this.db.prepare("UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, job = '{}' WHERE id = ?").run(error, id);
  }

  async get(id: number): Promise<OutboxJob | undefined> {
    const row = this.db.prepare<[number], OutboxRow>('SELECT * FROM outbox WHERE id = ?').get(id);
    return row && toJob(row);
  }

  async setDelayReported(id: number, reported: boolean): Promise<void> {
    this.db.prepare('UPDATE outbox SET delay_reported = ? WHERE id = ?').run(reported ? 1 : 0, id);
  }

  async delayedUnreported(createdBefore: number): Promise<OutboxJob[]> {
    return this.db
      .prepare<[number], OutboxRow>(
        "SELECT * FROM outbox WHERE state = 'pending' AND delay_reported = 0 AND created_at <= ? ORDER BY id",
      )
      .all(createdBefore)
      .map(toJob);
  }

  async oldestUnreported(): Promise<number | undefined> {
    const row = this.db
      .prepare<[], { at: number | null }>("SELECT MIN(created_at) AS at FROM outbox WHERE state = 'pending' AND delay_reported = 0")
      .get();
    return row?.at ?? undefined;
  }
}
