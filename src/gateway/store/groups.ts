/** Groups (protocol version 2): metadata and membership. Who may change what is the handler's
 *  business (handlers/groups.ts); this is storage only. */
import type { Db } from './database';

export interface GroupRow {
  groupId: string;
  name: string;
  avatarMediaId: string | null;
  revision: number;
  createdBy: string;
  createdAt: number;
}

export interface MemberRow {
  phone: string;
  admin: boolean;
}

export class GroupStore {
  private readonly getStmt;
  private readonly insertStmt;
  private readonly membersStmt;
  private readonly addMemberStmt;
  private readonly removeMemberStmt;
  private readonly setAdminStmt;
  private readonly setNameStmt;
  private readonly setAvatarStmt;
  private readonly bumpStmt;
  private readonly deleteStmt;
  private readonly groupsOfStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare<[string], GroupRow>(
      `SELECT group_id AS groupId, name, avatar_media_id AS avatarMediaId, revision, created_by AS createdBy, created_at AS createdAt
       FROM groups WHERE group_id = ?`,
    );
    this.insertStmt = db.prepare<[string, string, string | null, string, number]>(
      'INSERT INTO groups (group_id, name, avatar_media_id, revision, created_by, created_at) VALUES (?, ?, ?, 0, ?, ?)',
    );
    this.membersStmt = db.prepare<[string], { phone: string; admin: number }>(
      'SELECT phone, admin FROM group_members WHERE group_id = ? ORDER BY joined_seq',
    );
    this.addMemberStmt = db.prepare<[string, string, number, string]>(
      `INSERT INTO group_members (group_id, phone, admin, joined_seq)
       VALUES (?, ?, ?, (SELECT COALESCE(MAX(joined_seq), 0) + 1 FROM group_members WHERE group_id = ?))
       ON CONFLICT (group_id, phone) DO NOTHING`,
    );
    this.removeMemberStmt = db.prepare<[string, string]>('DELETE FROM group_members WHERE group_id = ? AND phone = ?');
    this.setAdminStmt = db.prepare<[number, string, string]>('UPDATE group_members SET admin = ? WHERE group_id = ? AND phone = ?');
    this.setNameStmt = db.prepare<[string, string]>('UPDATE groups SET name = ? WHERE group_id = ?');
    this.setAvatarStmt = db.prepare<[string | null, string]>('UPDATE groups SET avatar_media_id = ? WHERE group_id = ?');
    this.bumpStmt = db.prepare<[string]>('UPDATE groups SET revision = revision + 1 WHERE group_id = ?');
    this.deleteStmt = db.prepare<[string]>('DELETE FROM groups WHERE group_id = ?');
    this.groupsOfStmt = db.prepare<[string], { groupId: string }>(
      'SELECT group_id AS groupId FROM group_members WHERE phone = ? ORDER BY group_id',
    );
  }

  get(groupId: string): GroupRow | undefined {
    return this.getStmt.get(groupId);
  }

  /** at revision 0: the `created` change that follows makes it 1 */
  create(groupId: string, name: string, avatarMediaId: string | null, createdBy: string, now: number): void {
    this.insertStmt.run(groupId, name, avatarMediaId, createdBy, now);
  }

  /** in the order they joined */
  members(groupId: string): MemberRow[] {
    return this.membersStmt.all(groupId).map((m) => ({ phone: m.phone, admin: m.admin === 1 }));
  }

  /** false if the account was a member already */
  addMember(groupId: string, phone: string, admin: boolean): boolean {
    return this.addMemberStmt.run(groupId, phone, admin ? 1 : 0, groupId).changes > 0;
  }

  removeMember(groupId: string, phone: string): boolean {
    return this.removeMemberStmt.run(groupId, phone).changes > 0;
  }

  setAdmin(groupId: string, phone: string, admin: boolean): void {
    this.setAdminStmt.run(admin ? 1 : 0, groupId, phone);
  }

  setName(groupId: string, name: string): void {
    this.setNameStmt.run(name, groupId);
  }

  setAvatar(groupId: string, avatarMediaId: string | null): void {
    this.setAvatarStmt.run(avatarMediaId, groupId);
  }

  /** one revision per change, so members can tell an old event from a new one */
  bumpRevision(groupId: string): void {
    this.bumpStmt.run(groupId);
  }

  delete(groupId: string): void {
    this.deleteStmt.run(groupId);
  }

  /** IDs of the groups an account is a member of */
  groupsOf(phone: string): string[] {
    return this.groupsOfStmt.all(phone).map((r) => r.groupId);
  }
}
