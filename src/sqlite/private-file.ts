/**
 * Database files hold people's keys and (sealed) messages: only the bridge's own user may
 * read them. SQLite creates a database file with the process umask (0644 usually), and its
 * -wal and -shm files with the database file's mode, so the file is created 0600 before
 * SQLite first opens it; files left by older versions are narrowed the same way.
 */
import { chmodSync, closeSync, openSync } from 'node:fs';

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
