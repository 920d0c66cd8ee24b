/** PostgreSQL repository of the bridge's users (see ../sqlite/sqlite-store.ts for SQLite's). */
import type { BridgeUser } from '../repositories';
import type { UserRepository } from '../repositories';
import { one, type Sql } from './sql';
import { toUser, type UserRow } from '../rows';

export class PostgresUsers implements UserRepository {
  constructor(private readonly sql: Sql) {}

  async get(mxid: string): Promise<BridgeUser | undefined> {
    const row = await one(this.sql.query<UserRow>('SELECT * FROM users WHERE mxid = $1', [mxid]));
    return row && toUser(row);
  }

  async ensure(mxid: string): Promise<BridgeUser> {
    await this.sql.query('INSERT INTO users (mxid, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [mxid, Date.now()]);
    return (await this.get(mxid)) as BridgeUser;
  }

  async setManagementRoom(mxid: string, roomId: string | null): Promise<void> {
    await this.sql.transaction(async (sql) => {
      // a room belongs to one user at most: release it from whoever held it before
      if (roomId !== null) await sql.query('UPDATE users SET management_room = NULL WHERE management_room = $1', [roomId]);
      await sql.query('UPDATE users SET management_room = $1 WHERE mxid = $2', [roomId, mxid]);
    });
  }

  async updateSettings(mxid: string, settings: Record<string, unknown>): Promise<void> {
    await this.sql.query('UPDATE users SET settings = $1 WHERE mxid = $2', [JSON.stringify(settings), mxid]);
  }

  async setInboxSpace(mxid: string, roomId: string | null): Promise<void> {
    await this.sql.query('UPDATE users SET inbox_space = $1 WHERE mxid = $2', [roomId, mxid]);
  }

  async findByManagementRoom(roomId: string): Promise<BridgeUser | undefined> {
    const row = await one(this.sql.query<UserRow>('SELECT * FROM users WHERE management_room = $1', [roomId]));
    return row && toUser(row);
  }
}
