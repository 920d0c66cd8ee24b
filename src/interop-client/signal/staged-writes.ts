/**
 * The writes of one decryption, held until its plaintext is kept and then applied with it in
 * one transaction. Without this a crash could leave the ratchet step (or a consumed prekey)
 * durable and the plaintext it yielded not: the envelope, redelivered, no longer decrypts
 * (a "duplicate", or a missing prekey) and the message is lost. With it a crash leaves both
 * or neither, and the redelivered envelope decrypts again.
 */
import type Database from 'better-sqlite3';
import type { WriteGate } from './sqlite-identity-store';

export class StagedWrites implements WriteGate {
  private held: Array<() => void> = [];

  constructor(
    private readonly db: Database.Database,
    private readonly outer: WriteGate,
  ) {}

  /** other writes (an identity seen for the first time) go on as usual: recording one twice is harmless */
  begin(): void {
    this.outer.begin();
  }

  write(run: () => void): void {
    this.held.push(run);
  }

  /** Applies what was held, all or nothing. Synchronous: no commit of the outer gate can fall inside. */
  commit(): void {
    const held = this.held;
    this.held = [];
    this.outer.begin();
    this.db.transaction(() => {
      for (const run of held) run();
    })();
  }
}
