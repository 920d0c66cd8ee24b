/**
 * Each account's block list: the numbers whose messages and signals the gateway drops
 * before they are queued for the account (docs/interop-protocol.md §14). Replaced as a whole
 * by blocklist.set, so a retried request lands in the same state however often it runs.
 */
import type { Db } from './database';

export class BlockStore {
  private readonly isBlockedStmt;
  private readonly listStmt;
  private readonly clearStmt;
  private readonly insertStmt;
  private readonly replaceTx;

  constructor(db: Db) {
    this.isBlockedStmt = db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM blocks WHERE phone = ? AND blocked_phone = ?');
    this.listStmt = db.prepare<[string], { blocked: string }>('SELECT blocked_phone AS blocked FROM blocks WHERE phone = ? ORDER BY blocked_phone');
    this.clearStmt = db.prepare<[string]>('DELETE FROM blocks WHERE phone = ?');
    this.insertStmt = db.prepare<[string, string]>('INSERT INTO blocks (phone, blocked_phone) VALUES (?, ?)');
    this.replaceTx = db.transaction((phone: string, blocked: readonly string[]) => {
      this.clearStmt.run(phone);
      for (const number of blocked) this.insertStmt.run(phone, number);
    });
  }

  /** whether `account` has blocked `sender` */
  isBlocked(account: string, sender: string): boolean {
    return this.isBlockedStmt.get(account, sender) !== undefined;
  }

  list(account: string): string[] {
    return this.listStmt.all(account).map((r) => r.blocked);
  }

  /** replaces the account's whole list (the caller has checked it: unique E.164 numbers) */
  replace(account: string, blocked: readonly string[]): void {
    this.replaceTx(account, blocked);
  }
}
