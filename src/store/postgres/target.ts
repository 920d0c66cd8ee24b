/**
 * Where a connection string points, in words fit for a log line or an error: host, port,
 * database and user, never the password (the connection string is a secret as a whole).
 */

export interface PostgresTarget {
  host: string;
  port: string;
  database: string;
  user: string;
  /** the password, only so that a message can be checked not to contain it */
  password: string;
}

export function postgresTarget(url: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { host: '(unparsable connection string)', port: '', database: '', user: '', password: '' };
  }
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  // a Unix socket is named by ?host=/run/postgresql, the host part left empty
  const host = decode(parsed.hostname) || parsed.searchParams.get('host') || 'localhost';
  return {
    host,
    port: parsed.port || '5432',
    database: decode(parsed.pathname.replace(/^\//, '')) || decode(parsed.username) || '(default)',
    user: decode(parsed.username) || '(default user)',
    password: decode(parsed.password),
  };
}

/** "bridge on db.example.org:5432 as user bridge" (the database, where, as whom) */
export function describePostgresTarget(url: string): string {
  const t = postgresTarget(url);
  return `${t.database} on ${t.host}${t.port ? `:${t.port}` : ''} as user ${t.user}`;
}

/** `text` with the connection string's password taken out, should a library ever repeat it */
export function withoutPassword(text: string, url: string): string {
  const { password } = postgresTarget(url);
  return password ? text.split(password).join('[redacted]') : text;
}
