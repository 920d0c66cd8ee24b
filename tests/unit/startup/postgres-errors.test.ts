/** A PostgreSQL database that cannot be opened is a start-up error naming the server and the
 *  database and saying why, never showing the password (database.url is a secret). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { localBridgeConfig } from '../../helpers/bridge-process';
import { repoRoot } from '../../helpers/synapse';
import { openPostgresDatabase, StartupError } from '../../../src/startup';
import { PostgresBridgeStore } from '../../../src/store/postgres/postgres-store';
import { freePort } from '../../helpers/free-port';
import { createTestDatabase, testServerUrl, type TestDatabase } from '../../helpers/postgres-database';

const PASSWORD = 'pw-never-shown-4711';

async function startError(url: string): Promise<StartupError> {
  try {
    const store = await openPostgresDatabase(url, () => PostgresBridgeStore.open({ url, poolSize: 1 }));
    await store.close();
  } catch (error) {
    assert.ok(error instanceof StartupError, `expected a StartupError, got ${String(error)}`);
    assert.ok(!error.message.includes(PASSWORD), `the password is not shown: ${error.message}`);
    return error;
  }
  assert.fail('the database was opened');
}

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db?.drop();
});

test('postgres start: nothing listening at the address is named, with host and port', async () => {
  const port = await freePort();
  const error = await startError(`postgres://bridge:${PASSWORD}@127.0.0.1:${port}/bridge`);
  assert.equal(error.message, `cannot open the PostgreSQL database bridge on 127.0.0.1:${port} as user bridge (database.url): ` +
    `nothing listens at 127.0.0.1:${port} (is PostgreSQL running, and listening on that address?)`);
});

test('postgres start: a database that does not exist says to create it', async () => {
  const url = testServerUrl();
  url.pathname = '/no_such_bridge_db';
  url.password = PASSWORD;
  const error = await startError(url.href);
  assert.match(error.message, /\(database\.url\): the database no_such_bridge_db does not exist; create it first \(createdb -O postgres no_such_bridge_db\)$/);
});

test('postgres start: a login the server refuses is named as such', async () => {
  const url = new URL(db.url);
  url.username = 'no_such_role';
  url.password = PASSWORD;
  const error = await startError(url.href);
  assert.match(error.message, /as user no_such_role \(database\.url\): the server refused the login \(.*no_such_role.*\); check the user and password/);
});

test('postgres start: the bridge itself exits 1 with that one line, no stack trace, no password', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mib-pg-start-'));
  const config = await localBridgeConfig(dir, 'ws://127.0.0.1:1');
  const port = await freePort();
  config.database.type = 'postgres';
  config.database.url = `postgres://bridge:${PASSWORD}@127.0.0.1:${port}/bridge`;
  writeFileSync(join(dir, 'config.yaml'), stringify(config), { mode: 0o600 });
  const run = spawnSync(process.execPath, [join(repoRoot, 'dist', 'src', 'cli.js'), '-c', join(dir, 'config.yaml')], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 1);
  const output = run.stdout + run.stderr;
  assert.ok(!output.includes(PASSWORD), 'the password is not shown');
  assert.match(run.stderr, new RegExp(`^matrix-interop-bridge: cannot open the PostgreSQL database bridge on 127\\.0\\.0\\.1:${port} as user bridge \\(database\\.url\\): nothing listens`, 'm'));
  assert.doesNotMatch(output, /^\s+at /m, 'no stack trace');
});
