/**
 * PostgreSQL errors at start in words: which server and database (never the password), why,
 * and what to do. node-postgres says "connect ECONNREFUSED 10.0.0.5:5432" or a server error
 * code; an admin needs to know that it is database.url, and whether the server, the login or
 * the database is what is missing.
 */
import { SchemaTooNewError } from '../sqlite/migrate';
import { describePostgresTarget, postgresTarget, withoutPassword } from '../store/postgres/target';
import { StartupError } from './errors';

function reasonOf(error: unknown, url: string): string {
  const { code, message } = error as { code?: string; message?: string };
  const t = postgresTarget(url);
  switch (code) {
    case 'ECONNREFUSED':
      return `nothing listens at ${t.host}:${t.port} (is PostgreSQL running, and listening on that address?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name ${t.host} cannot be resolved`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${t.host}:${t.port} cannot be reached (${code})`;
    case '28P01':
    case '28000':
      return `the server refused the login (${message ?? code}); check the user and password in database.url and the server's pg_hba.conf`;
    case '3D000':
      return `the database ${t.database} does not exist; create it first (createdb -O ${t.user} ${t.database})`;
    case '42501':
      return `user ${t.user} may not create the bridge's tables (${message ?? code}); make it the database's owner`;
    default:
      if (message && /timeout/i.test(message)) return `${t.host}:${t.port} did not answer in time`;
      return message ?? String(error);
  }
}

/** Runs `open()`; a failure becomes a StartupError naming the database and the reason. A
 *  schema newer than the code keeps its own message (it says what to do). */
export async function openPostgresDatabase<T>(url: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    if (error instanceof SchemaTooNewError) throw error;
    throw new StartupError(withoutPassword(`cannot open the PostgreSQL database ${describePostgresTarget(url)} (database.url): ${reasonOf(error, url)}`, url));
  }
}
