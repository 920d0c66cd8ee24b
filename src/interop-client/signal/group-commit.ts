/**
 * Group commit for the key store: the first write of an event-loop turn opens a transaction,
 * later writes of the same turn join it, and it commits at the end of the turn (setImmediate)
 * or earlier when a frame is about to leave (durability.ts). A busy client writes each
 * session record several times per turn; one commit instead of one per write is most of the
 * key store's cost.
 */
import type Database from 'better-sqlite3';
import { addFlushBeforeSend } from '../durability';

export class GroupCommit {
  private open = false;
  private readonly removeHook: () => void;

  constructor(private readonly db: Database.Database) {
    this.removeHook = addFlushBeforeSend(() => this.commit());
  }

  /** Call before every write. */
  begin(): void {
    if (this.open || this.db.inTransaction) return;
    this.db.exec('BEGIN');
    this.open = true;
    setImmediate(() => this.commit());
  }

  write(run: () => void): void {
    this.begin();
    run();
  }

  commit(): void {
    if (!this.open) return;
    this.open = false;
    try {
      this.db.exec('COMMIT');
    } catch (err) {
      // Disk full or I/O error: nothing of this turn is durable. Roll back so memory and disk
      // agree; the frames that depended on it are still held and go out after this hook, so
      // make the failure loud rather than silent.
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      console.error('Signal key store: commit failed, changes of this turn were rolled back:', (err as Error).message);
      throw err;
    }
  }

  close(): void {
    this.removeHook();
    if (this.db.open) this.commit();
  }
}
