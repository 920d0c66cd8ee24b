/**
 * Group commit. Under load many frames arrive in one turn of the event loop; committing each
 * on its own costs a WAL write per frame. Instead the first frame of a turn opens a
 * transaction, every frame of that turn runs inside it (each in its own savepoint), and the
 * transaction commits on `setImmediate`. Answers and events produced meanwhile are held back
 * and sent only after the commit, so nobody is told "accepted" before it is durable.
 *
 * If a commit fails (disk full, I/O error) the whole turn is rolled back; the frames held back
 * are dropped and every connection is closed, because in-memory delivery state may describe
 * envelopes that no longer exist. Clients reconnect, resubscribe and resubmit (submits are
 * idempotent by clientMessageId), so nothing acknowledged is lost.
 */
import type { GatewayFrame } from '../protocol/frames';
import type { Logger } from './context';
import type { Db } from './store/database';

interface Outgoing {
  send(frame: GatewayFrame): void;
}

export class GroupCommit {
  private open = false;
  private held: { to: Outgoing; frame: GatewayFrame }[] = [];

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly onCommitFailure: () => void,
  ) {}

  /** Run `fn` inside this turn's transaction. */
  run<T>(fn: () => T): T {
    if (!this.open) {
      this.db.exec('BEGIN IMMEDIATE');
      this.open = true;
      setImmediate(() => this.commit());
    }
    return fn();
  }

  /** Send now, or after the commit if a transaction is open. */
  send(to: Outgoing, frame: GatewayFrame): void {
    if (this.open) this.held.push({ to, frame });
    else to.send(frame);
  }

  /** Commit the open transaction (if any) and send what was held back. */
  commit(): void {
    if (!this.open) return;
    const held = this.held;
    this.held = [];
    this.open = false;
    try {
      this.db.exec('COMMIT');
    } catch (e) {
      this.log.error('commit failed; closing all connections so clients resynchronise', { error: (e as Error).message });
      try {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      } catch {
        // the rollback failing too leaves nothing better to do than what follows
      }
      this.onCommitFailure();
      return;
    }
    for (const { to, frame } of held) to.send(frame);
  }
}
