/**
 * File errors that name the file and say what to do. SQLite only says "unable to open
 * database file", and an EACCES from a bind-mounted directory owned by root says nothing
 * about which user needs the right; these messages say both.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { StartupError } from './errors';

function whoRuns(): string {
  return typeof process.getuid === 'function' ? `user ${process.getuid()}` : 'the user running the bridge';
}

/** Why `path` (to be created or written) cannot be, as far as the file system tells. */
function diagnose(path: string, error: unknown): string {
  const dir = dirname(path);
  if (!existsSync(dir)) return `the directory ${dir} does not exist`;
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    return `no permission to write in ${dir}`;
  }
  if (existsSync(path)) {
    try {
      accessSync(path, constants.R_OK | constants.W_OK);
    } catch {
      return 'no permission to read and write the file';
    }
  }
  return (error as Error).message;
}

/** Runs `open(path)`; a failure becomes a StartupError naming the path, the reason and the
 *  user. `from`: the config key the path comes from. */
export function openDatabaseFile<T>(path: string, open: (path: string) => T, from = 'database.path'): T {
  try {
    return open(path);
  } catch (error) {
    const full = resolve(path);
    throw new StartupError(
      `cannot open the database at ${full} (${from}): ${diagnose(full, error)}; ` +
        `the directory must exist and be writable by ${whoRuns()}`,
    );
  }
}

/** A read failure (registration, secret files) in words: which file, why, and for whom. */
export function describeReadError(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const full = resolve(path);
  if (code === 'ENOENT') return `${full} does not exist`;
  if (code === 'EACCES' || code === 'EPERM') return `${full} cannot be read by ${whoRuns()} (${code}); check its owner and mode`;
  if (code === 'EISDIR') return `${full} is a directory, not a file`;
  return `cannot read ${full} (${code ?? (error as Error).message})`;
}
