/** SQLite repository of the bridge's users: management rooms, settings, inbox Spaces. */
import type Database from 'better-sqlite3';
import type { BridgeUser, UserRepository } from '../repositories';
import { toUser, type UserRow } from '../rows';

export class SqliteUsers implements UserRepository {
  private readonly byId;
  private readonly byRoom;
  private readonly insert;
  private readonly setRoom;
  private readonly setSettings;

  constructor(private readonly db: Database.Database) {
    this.byId = db.prepare<[string], UserRow>('SELECT * FROM users WHERE mxid = ?');
    this.byRoom = db.prepare<[string], UserRow>('SELECT * FROM users WHERE management_room = ?');
    this.insert = db.prepare('INSERT OR IGNORE INTO users (mxid, created_at) VALUES (?, ?)');
    this.setRoom = db.prepare('UPDATE users SET management_room = ? WHERE mxid = ?');
    this.setSettings = db.prepare('UPDATE users SET settings = ? WHERE mxid = ?');
  }

  async get(mxid: string): Promise<BridgeUser | undefined> {
    const row = this.byId.get(mxid);
    return row && toUser(row);
  }

  async ensure(mxid: string): Promise<BridgeUser> {
    this.insert.run(mxid, Date.now());
    return toUser(this.byId.get(mxid) as UserRow);
  }

  async setManagementRoom(mxid: string, roomId: string | null): Promise<void> {
    this.db.transaction(() => {
      // a room belongs to one user at most: release it from whoever held it before
      if (roomId !== null) this.db.prepare('UPDATE users SET management_room = NULL WHERE management_room = ?').run(roomId);
      this.setRoom.run(roomId, mxid);
    })();
  }

  async updateSettings(mxid: string, settings: Record<string, unknown>): Promise<void> {
    this.setSettings.run(JSON.stringify(settings), mxid);
  }

  async setInboxSpace(mxid: string, roomId: string | null): Promise<void> {
    this.db.prepare('UPDATE users SET inbox_space = ? WHERE mxid = ?').run(roomId, mxid);
  }

  async findByManagementRoom(roomId: string): Promise<BridgeUser | undefined> {
    const row = this.byRoom.get(roomId);
    return row && toUser(row);
  }
}
