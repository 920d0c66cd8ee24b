/** Accounts, their verification codes and their profiles. */
import type { Db } from './database';

export interface AccountRow {
  phone: string;
  provider: string;
  displayName: string | null;
  avatarMediaId: string | null;
}

const ACCOUNT_CACHE_LIMIT = 100_000;

export interface CodeRow {
  provider: string;
  codeHash: Buffer;
  expiresAt: number;
  attempts: number;
}

export class AccountStore {
  private readonly getStmt;
  private readonly insertStmt;
  private readonly deleteStmt;
  private readonly allocDeviceStmt;
  private readonly putCodeStmt;
  private readonly getCodeStmt;
  private readonly bumpAttemptsStmt;
  private readonly deleteCodeStmt;
  private readonly pruneCodesStmt;
  private readonly setNameStmt;
  private readonly setAvatarStmt;
  private readonly setProfileTx;
  /** null: known not to exist */
  private readonly cache = new Map<string, AccountRow | null>();

  constructor(db: Db) {
    this.getStmt = db.prepare<[string], AccountRow>(
      'SELECT phone, provider, display_name AS displayName, avatar_media_id AS avatarMediaId FROM accounts WHERE phone = ?',
    );
    this.insertStmt = db.prepare<[string, string, number]>('INSERT INTO accounts (phone, provider, created_at) VALUES (?, ?, ?)');
    this.deleteStmt = db.prepare<[string]>('DELETE FROM accounts WHERE phone = ?');
    this.allocDeviceStmt = db.prepare<[string], { id: number }>(
      'UPDATE accounts SET next_device_id = next_device_id + 1 WHERE phone = ? RETURNING next_device_id - 1 AS id',
    );
    this.putCodeStmt = db.prepare<[string, string, Buffer, number]>(
      'INSERT OR REPLACE INTO verification_codes (phone, provider, code_hash, expires_at, attempts) VALUES (?, ?, ?, ?, 0)',
    );
    this.getCodeStmt = db.prepare<[string], CodeRow>(
      'SELECT provider, code_hash AS codeHash, expires_at AS expiresAt, attempts FROM verification_codes WHERE phone = ?',
    );
    this.bumpAttemptsStmt = db.prepare<[string]>('UPDATE verification_codes SET attempts = attempts + 1 WHERE phone = ?');
    this.deleteCodeStmt = db.prepare<[string]>('DELETE FROM verification_codes WHERE phone = ?');
    this.pruneCodesStmt = db.prepare<[number]>('DELETE FROM verification_codes WHERE expires_at <= ?');
    this.setNameStmt = db.prepare<[string | null, string]>('UPDATE accounts SET display_name = ? WHERE phone = ?');
    this.setAvatarStmt = db.prepare<[string | null, string]>('UPDATE accounts SET avatar_media_id = ? WHERE phone = ?');
    this.setProfileTx = db.transaction(
      (phone: string, displayName: string | null | undefined, avatarMediaId: string | null | undefined) => {
        if (displayName !== undefined) this.setNameStmt.run(displayName, phone);
        if (avatarMediaId !== undefined) this.setAvatarStmt.run(avatarMediaId, phone);
      },
    );
  }

  /** Served from memory after the first read (the gateway is the database's only writer).
   *  Callers must not mutate the row. */
  get(phone: string): AccountRow | undefined {
    let row = this.cache.get(phone);
    if (row === undefined) {
      if (this.cache.size >= ACCOUNT_CACHE_LIMIT) this.cache.clear();
      row = this.getStmt.get(phone) ?? null;
      this.cache.set(phone, row);
    }
    return row ?? undefined;
  }

  create(phone: string, provider: string, now: number): void {
    this.cache.delete(phone);
    this.insertStmt.run(phone, provider, now);
  }

  /** Deletes the account and, by cascade, its devices, keys and queues. */
  delete(phone: string): void {
    this.cache.delete(phone);
    this.deleteStmt.run(phone);
  }

  /** Forget every cached row (after a rollback). */
  forget(): void {
    this.cache.clear();
  }

  /** Next device ID of the account; IDs are never reused so peers never confuse devices. */
  allocateDeviceId(phone: string): number {
    const row = this.allocDeviceStmt.get(phone);
    if (!row) throw new Error('allocateDeviceId on a missing account');
    return row.id;
  }

  putCode(phone: string, provider: string, codeHash: Buffer, expiresAt: number): void {
    this.putCodeStmt.run(phone, provider, codeHash, expiresAt);
  }

  getCode(phone: string): CodeRow | undefined {
    return this.getCodeStmt.get(phone);
  }

  countFailedAttempt(phone: string): void {
    this.bumpAttemptsStmt.run(phone);
  }

  deleteCode(phone: string): void {
    this.deleteCodeStmt.run(phone);
  }

  /** Drop codes that expired unused. */
  pruneCodes(now: number): number {
    return this.pruneCodesStmt.run(now).changes;
  }

  /** undefined leaves a field unchanged, null clears it. */
  setProfile(phone: string, displayName: string | null | undefined, avatarMediaId: string | null | undefined): void {
    this.cache.delete(phone);
    this.setProfileTx(phone, displayName, avatarMediaId);
  }
}
