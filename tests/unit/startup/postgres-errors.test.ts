/** A PostgreSQL database that cannot be opened is a start-up error naming the server and the
 *  database and saying why, never showing the password (database.url is a secret). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
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
