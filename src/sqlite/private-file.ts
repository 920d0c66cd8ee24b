/**
 * Database files hold people's keys and (sealed) messages: only the bridge's own user may
 * read them. SQLite creates a database file with the process umask (0644 usually), and its
 * -wal and -shm files with the database file's mode, so the file is created 0600 before
 * SQLite first opens it; files left by older versions are narrowed the same way.
 */
import { chmodSync, closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';

const PRIVATE = 0o600;
const SIDE_FILES = ['', '-wal', '-shm', '-journal'];

function isFilePath(path: string): boolean {
  return path !== '' && path !== ':memory:' && !path.startsWith('file:');
}

/** Call before `new Database(path)`: creates `path` 0600 if missing and narrows existing files. */
export function preparePrivateDatabaseFile(path: string): void {
  if (!isFilePath(path)) return;
  // the mode of open(2) only applies when the file is created; umask can only remove bits
  closeSync(openSync(path, 'a', PRIVATE));
  for (const suffix of SIDE_FILES) {
    try {
      chmodSync(path + suffix, PRIVATE);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // a side file that does not exist yet gets the database file's mode when SQLite makes it;
      // a file another user owns keeps the mode its owner gave it
      if (code !== 'ENOENT' && code !== 'EPERM') throw error;
    }
  }
}

/** the WAL file is reused, not truncated, after a checkpoint: a cap on what it keeps of old frames */
const WAL_SIZE_LIMIT = 1024 * 1024;

/**
 * Opens (creating 0600 if missing) a database of the bridge's own: WAL, a busy time-out, and
 * secure_delete, so deleted keys and sealed messages are zeroed in the pages they leave.
 * `synchronous: 'normal'` (for key stores): a process crash loses nothing, a power loss may drop
 * the last commits but never corrupts the file; the default FULL survives that too.
 */
export function openPrivateDatabase(path: string, options: { synchronous?: 'normal'; foreignKeys?: boolean } = {}): Database.Database {
  preparePrivateDatabaseFile(path);
  const db = new Database(path);
  try {
    db.pragma('secure_delete = ON');
    db.pragma('journal_mode = WAL');
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
    if (options.synchronous === 'normal') db.pragma('synchronous = NORMAL');
    if (options.foreignKeys) db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
