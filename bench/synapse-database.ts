/**
 * Which database the bench's Synapse runs on. SQLite (the default, as in the tests) is what a
 * small install starts with, but Synapse on SQLite has one database connection, so every
 * room's writes queue behind each other and each commit waits for a sync to disk: a poor
 * baseline for a bridge that is meant to keep portals independent. BENCH_SYNAPSE_DB=postgres
 * runs it on the PostgreSQL of this machine instead (BENCH_PG_URL, default
 * postgres://postgres@127.0.0.1:5432, trust auth), the realistic set-up for a large install,
 * in a fresh database that is dropped at the end.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface SynapseDatabase {
  /** 'sqlite' or 'postgres', for the report */
  kind: string;
  /** the homeserver.yaml `database` section, or undefined for the test helper's SQLite default */
  config?: Record<string, unknown>;
  drop(): void;
}

function psql(url: URL, sql: string): void {
  execFileSync('psql', ['-v', 'ON_ERROR_STOP=1', '-q', '-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username || 'postgres'), '-d', 'postgres', '-c', sql], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

export function synapseDatabase(): SynapseDatabase {
  const kind = process.env.BENCH_SYNAPSE_DB ?? 'sqlite';
  if (kind === 'sqlite') return { kind, drop: () => undefined };
  if (kind !== 'postgres') throw new Error(`BENCH_SYNAPSE_DB must be sqlite or postgres, not ${kind}`);
  const url = new URL(process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432');
  const name = `mib_bench_synapse_${randomBytes(4).toString('hex')}`;
  try {
    // Synapse refuses a database whose collation is not C (its sort orders depend on it)
    psql(url, `CREATE DATABASE ${name} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    throw new Error(`BENCH_SYNAPSE_DB=postgres: cannot create a database at ${url.host} (${stderr || (error as Error).message})`, { cause: error });
  }
  return {
    kind,
    config: {
      name: 'psycopg2',
      args: {
        user: decodeURIComponent(url.username || 'postgres'), ...(url.password && { password: decodeURIComponent(url.password) }),
        host: url.hostname, port: Number(url.port || 5432), dbname: name, cp_min: 5, cp_max: 10,
      },
    },
    drop: () => psql(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
