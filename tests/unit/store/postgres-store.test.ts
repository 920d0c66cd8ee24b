/**
 * What only the PostgreSQL store has to get right: migrations under a lock, its own type
 * parsing, transactions on one pooled connection. The shared suites run against it as well.
 * Needs the PostgreSQL of the machine (tests/helpers/postgres-database.ts); fails, never skips,
 * without it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PostgresBridgeStore } from '../../../src/store/postgres/postgres-store';
import { migratePostgres, VERSION_TABLE } from '../../../src/store/postgres/migrate';
import { migrations } from '../../../src/store/postgres/migrations';
import { migrations as sqliteMigrations } from '../../../src/store/sqlite/migrations';
import { bridgeTypeParsers } from '../../../src/store/postgres/sql';
import { SchemaTooNewError } from '../../../src/store';
import { createTestDatabase, freshSchema, type TestDatabase } from '../../helpers/postgres-database';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db?.drop();
});

const alice = '@alice:example.org';
const latest = sqliteMigrations.at(-1)?.version;

async function openFresh(poolSize = 4): Promise<{ store: PostgresBridgeStore; url: string }> {
  const url = await freshSchema(db);
  return { store: await PostgresBridgeStore.open({ url, poolSize }), url };
}

/** a plain pool on the case's schema, to look at what the store wrote */
async function withPool<T>(url: string, fn: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

test('postgres: a new database reaches the same version as SQLite; opening it again applies nothing', async () => {
  const { store, url } = await openFresh();
  assert.equal(await store.schemaVersion(), latest);
  await store.close();
  const again = await PostgresBridgeStore.open({ url, poolSize: 2 });
  assert.equal(await again.schemaVersion(), latest);
  await again.close();
  const versions = await withPool(url, (pool) => pool.query(`SELECT version FROM ${VERSION_TABLE} ORDER BY version`));
  assert.deepEqual(versions.rows.map((r: { version: number }) => r.version), migrations.map((m) => m.version));
});

test('postgres: a database newer than the code is refused with a clear message', async () => {
  const { store, url } = await openFresh();
  await store.close();
  await withPool(url, (pool) => pool.query(`INSERT INTO ${VERSION_TABLE} (version, name, applied_at) VALUES (999, 'future', 0)`));
  await assert.rejects(PostgresBridgeStore.open({ url, poolSize: 2 }), (error: unknown) => {
    assert.ok(error instanceof SchemaTooNewError);
    assert.match(error.message, /database schema version 999 is newer than this code supports/);
    return true;
  });
});

test('postgres: a failing migration rolls back with its version record', async () => {
  const { store, url } = await openFresh();
  await store.close();
  const broken = [...migrations, { version: 99, name: 'broken', sql: 'CREATE TABLE ok_then (x INTEGER); SELECT * FROM no_such_table;' }];
  await withPool(url, async (pool) => {
    await assert.rejects(migratePostgres(pool, broken), /no_such_table/);
    const version = await pool.query(`SELECT MAX(version) AS v FROM ${VERSION_TABLE}`);
    assert.equal(version.rows[0].v, latest);
    assert.equal((await pool.query("SELECT to_regclass('ok_then') AS t")).rows[0].t, null);
  });
});

test('postgres: two bridges starting at once on an empty database migrate it once', async () => {
  const url = await freshSchema(db);
  const stores = await Promise.all([1, 2, 3].map(() => PostgresBridgeStore.open({ url, poolSize: 2 })));
  for (const store of stores) assert.equal(await store.schemaVersion(), latest);
  await Promise.all(stores.map((s) => s.close()));
  const counted = await withPool(url, (pool) => pool.query(`SELECT COUNT(*)::int AS n FROM ${VERSION_TABLE}`));
  assert.equal(counted.rows[0].n, migrations.length);
});

test('postgres: int8 columns and counts come back as numbers, on the bridge\'s pool only', async () => {
  const { store, url } = await openFresh();
  try {
    const user = await store.users.ensure(alice);
    assert.equal(typeof user.createdAt, 'number');
    assert.ok(Math.abs(user.createdAt - Date.now()) < 3_600_000);
    assert.equal(await store.ghosts.count(), 0);
    await store.portals.ensure(alice, '+4915112345678');
    assert.equal(await store.outbox.enqueue(alice, '+4915112345678', '$e', { a: 1 }), true);
    const job = await store.outbox.nextFor(alice, '+4915112345678');
    assert.equal(typeof job?.id, 'number');
    assert.equal(typeof job?.createdAt, 'number');
    // node-postgres's process-wide parsers are left alone: int8 is still a string elsewhere
    const plain = await withPool(url, (pool) => pool.query('SELECT 1::int8 AS n'));
    assert.equal(plain.rows[0].n, '1');
  } finally {
    await store.close();
  }
});

test('postgres: an int8 beyond 2^53 is an error, not a rounded number', async () => {
  const { store, url } = await openFresh();
  await store.close();
  const pool = new pg.Pool({ connectionString: url, max: 1, types: bridgeTypeParsers() });
  try {
    assert.equal((await pool.query('SELECT 9007199254740991::int8 AS n')).rows[0].n, Number.MAX_SAFE_INTEGER);
    await assert.rejects(pool.query('SELECT 9007199254740993::int8 AS n'), /9007199254740993 is beyond/);
  } finally {
    await pool.end();
  }
});

test('postgres: atomically lands everything or nothing, and its writes are not seen before it commits', async () => {
  const { store } = await openFresh();
  try {
    await store.users.ensure(alice);
    await assert.rejects(store.atomically(async (tx) => {
      await tx.users.setManagementRoom(alice, '!m:x');
      await tx.blocks.add(alice, '+4915112345678');
      throw new Error('changed my mind');
    }), /changed my mind/);
    assert.equal((await store.users.get(alice))?.managementRoom, null);
    assert.equal(await store.blocks.isBlocked(alice, '+4915112345678'), false);

    let seenOutside: boolean | undefined;
    const result = await store.atomically(async (tx) => {
      await tx.blocks.add(alice, '+4915112345678');
      seenOutside = await store.blocks.isBlocked(alice, '+4915112345678');
      return 'done';
    });
    assert.equal(result, 'done');
    assert.equal(seenOutside, false);
    assert.equal(await store.blocks.isBlocked(alice, '+4915112345678'), true);
  } finally {
    await store.close();
  }
});

test('postgres: a nested atomically that fails undoes only its own part', async () => {
  const { store } = await openFresh();
  try {
    await store.users.ensure(alice);
    await store.atomically(async (tx) => {
      await tx.blocks.add(alice, '+4915100000001');
      await assert.rejects(tx.atomically(async (inner) => {
        await inner.blocks.add(alice, '+4915100000002');
        throw new Error('inner');
      }), /inner/);
      // a repository's own transaction inside a tx is nested as well
      await tx.users.setManagementRoom(alice, '!m:x');
    });
    assert.deepEqual((await store.blocks.list(alice)).map((b) => b.contact), ['+4915100000001']);
    assert.equal((await store.users.get(alice))?.managementRoom, '!m:x');
  } finally {
    await store.close();
  }
});

test('postgres: a tx kept after its transaction ended is refused, not run on a connection serving others', async () => {
  const { store } = await openFresh(1);
  try {
    let kept: Parameters<Parameters<typeof store.atomically>[0]>[0] | undefined;
    await store.atomically(async (tx) => {
      kept = tx;
    });
    await assert.rejects(kept!.users.ensure(alice), /tx was used after the transaction ended/);
    assert.equal(await store.users.get(alice), undefined);
  } finally {
    await store.close();
  }
});

test('postgres: a failed transaction gives its connection back (a pool of one keeps working)', { timeout: 60_000 }, async () => {
  const { store } = await openFresh(1);
  try {
    for (let i = 0; i < 3; i++) {
      await assert.rejects(store.atomically(async (tx) => {
        await tx.users.ensure(alice);
        // a statement the server refuses, so the transaction is aborted on the server too
        await tx.blocks.add('@nobody:x', '+4915100000001');
      }));
    }
    assert.equal(await store.users.get(alice), undefined);
    assert.ok(await store.users.ensure(alice));
  } finally {
    await store.close();
  }
});

test('postgres: a reaction replaces the one it clashes with on either key, as SQLite\'s INSERT OR REPLACE does', async () => {
  const { store } = await openFresh();
  try {
    await store.users.ensure(alice);
    await store.portals.ensure(alice, '+4915112345678');
    const base = { owner: alice, contact: '+4915112345678', targetRemoteId: 'm1', sender: '+4915112345678', roomId: '!r:x' };
    await store.reactions.put({ ...base, emoji: '👍', eventId: '$1' });
    // the same reaction again, as a new event: one row, the new event
    await store.reactions.put({ ...base, emoji: '👍', eventId: '$2' });
    assert.equal(await store.reactions.byEvent('!r:x', '$1'), undefined);
    // the same event with another emoji: the event's old row goes
    await store.reactions.put({ ...base, emoji: '🎉', eventId: '$2' });
    assert.deepEqual((await store.reactions.bySender(alice, '+4915112345678', 'm1', '+4915112345678')).map((r) => [r.emoji, r.eventId]), [['🎉', '$2']]);
  } finally {
    await store.close();
  }
});

test('postgres: text with U+0000 from a remote person is stored (as U+FFFD) and found again by the same value', async () => {
  const { store } = await openFresh();
  try {
    await store.users.ensure(alice);
    await store.portals.ensure(alice, '+4915112345678');
    await store.ghosts.ensure('+4915112345678', '@wa_+4915112345678:x');
    await store.ghosts.updateProfile('+4915112345678', { displayName: 'Sam\u0000Evil', avatarRef: null, avatarMxc: null });
    assert.equal((await store.ghosts.get('+4915112345678'))?.displayName, 'Sam\uFFFDEvil');
    const message = { owner: alice, contact: '+4915112345678', remoteId: 'id\u0000x', part: 0, sender: '+4915112345678', roomId: '!r:x', eventId: '$e', timestamp: 1 };
    await store.messages.put(message);
    assert.equal((await store.messages.byRemoteId(alice, '+4915112345678', 'id\u0000x')).length, 1);
  } finally {
    await store.close();
  }
});

test('postgres: an idle connection the server ends is reported, not a crash, and the next call gets another', { timeout: 60_000 }, async () => {
  const url = await freshSchema(db);
  let reported: (error: Error) => void = () => undefined;
  const idleError = new Promise<Error>((resolve) => (reported = resolve));
  const store = await PostgresBridgeStore.open({ url, poolSize: 2, onIdleError: (error) => reported(error) });
  try {
    await store.users.ensure(alice);
    // the server ends the store's idle connection (a restart, a fail-over would)
    await withPool(url, (pool) => pool.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'matrix-interop-bridge' AND datname = current_database() AND pid <> pg_backend_pid()",
    ));
    assert.match((await idleError).message, /terminat/);
    assert.equal((await store.users.get(alice))?.mxid, alice);
  } finally {
    await store.close();
  }
});
