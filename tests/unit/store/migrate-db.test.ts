/**
 * migrate-db: a SQLite store filled through its repositories, copied into PostgreSQL, reads
 * back the same through the PostgreSQL repositories; IDs go on past the copied ones; a target
 * that holds bridge data, or a source with tables the bridge does not know, is refused and
 * nothing is copied. The command prints counts, never contents.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SqliteBridgeStore, type BridgeStore } from '../../../src/store';
import { PostgresBridgeStore } from '../../../src/store/postgres/postgres-store';
import { copySqliteToPostgres, TargetNotEmptyError } from '../../../src/store/postgres/copy-from-sqlite';
import { parseConfig } from '../../../src/config';
import { migrateDb } from '../../../src/migrate-db';
import { createTestDatabase, freshSchema, type TestDatabase } from '../../helpers/postgres-database';

const alice = '@alice:example.org';
const bob = '@bob:example.org';
const carol = '+4915112345678';
const dave = '+447700900123';
const BODY = 'meet me at the station at nine';

let db: TestDatabase;
const dir = mkdtempSync(join(tmpdir(), 'mib-migrate-db-'));
let counter = 0;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db?.drop();
});

/** a SQLite store with something in every table, written the way the bridge writes it */
async function filledSqlite(path = join(dir, `source-${++counter}.db`)): Promise<SqliteBridgeStore> {
  const s = SqliteBridgeStore.open(path);
  await s.users.ensure(alice);
  await s.users.ensure(bob);
  await s.users.setManagementRoom(alice, '!mgmt:x');
  await s.users.updateSettings(alice, { lang: 'de', inbox: 'merged' });
  await s.users.setInboxSpace(bob, '!space:x');
  await s.transactions.markProcessed('1', 'h1');
  await s.transactions.markProcessed('2', 'h2');
  await s.transactions.markEventHandled('$handled');
  await s.botCommands.accept({ eventId: '$c1', roomId: '!mgmt:x', sender: alice, kind: 'command', name: 'login' });
  await s.botCommands.accept({ eventId: '$c2', roomId: '!mgmt:x', sender: alice, kind: 'invite', name: 'invite' });
  await s.botCommands.finish('$c2');
  await s.logins.put(alice, carol, { device: 1, sealed: 'abc' });
  await s.logins.setPending(bob, dave, { step: 'code' });
  await s.ghosts.ensure(carol, `@wa_${carol}:x`);
  await s.ghosts.updateProfile(carol, { displayName: 'Carol', avatarRef: 'ref', avatarMxc: 'mxc://x/y' });
  await s.portals.ensure(alice, carol);
  await s.portals.setRoom(alice, carol, '!portal:x', { setupPending: true });
  await s.portals.setEncrypted(alice, carol, true);
  await s.portals.setSecuritySummary(alice, carol, '{"e2ee":true}');
  await s.portals.ensure(bob, carol);
  await s.messages.put({ owner: alice, contact: carol, remoteId: 'r1', part: 0, sender: carol, roomId: '!portal:x', eventId: '$m1', timestamp: 1000 });
  await s.messages.put({ owner: alice, contact: carol, remoteId: 'r1', part: 1, sender: carol, roomId: '!portal:x', eventId: '$m2', timestamp: 1000 });
  await s.messages.put({ owner: alice, contact: carol, remoteId: 'r2', part: 0, sender: alice, roomId: '!portal:x', eventId: '$m3', timestamp: 900 });
  await s.reactions.put({ owner: alice, contact: carol, targetRemoteId: 'r1', sender: alice, emoji: '👍', roomId: '!portal:x', eventId: '$re1' });
  await s.outbox.enqueue(alice, carol, '$o1', { sealed: 'x1' });
  await s.outbox.enqueue(alice, carol, '$o2', { sealed: 'x2' });
  await s.outbox.enqueue(alice, carol, '$o3', { sealed: 'x3' });
  await s.outbox.markSent(1);
  await s.outbox.retryLater(2, 'gateway down', 5000);
  await s.outbox.setDelayReported(2, true);
  await s.contacts.observe(alice, carol, { provider: 'plainchat', e2ee: false, bridged: true });
  await s.contacts.keyChanged(alice, carol, 'fp-1');
  await s.contacts.setVerified(alice, carol, true);
  await s.contacts.unencryptedSeen(alice, carol);
  await s.held.hold(alice, carol, { sealed: 'h1' }, 'r5');
  await s.held.hold(alice, carol, { sealed: 'h2' }, 'r6');
  const last = await s.held.hold(alice, carol, { sealed: 'h3' }, 'r7');
  // the last ID goes: PostgreSQL must not hand it out again
  await s.held.release(last);
  await s.unreadable.start(alice, carol, 2000);
  await s.unreadable.suppress(alice, carol);
  await s.blocks.add(alice, dave);
  await s.blocks.setSyncState(alice, 'pending', null, { pending: true });
  await s.requests.open({ owner: bob, contact: dave, provider: 'native', e2ee: true, encrypted: true, firstAt: 3000, notice: 'due' });
  await s.requests.hold(bob, dave, 'q1', 'sealed-q1');
  await s.requests.countUnreadable(bob, dave);
  await s.requests.recordDrop(bob, '+4915100000009');
  await s.providers.setChoice(alice, 'plainchat', false);
  await s.providers.recordDrop(alice, 'plainchat', false);
  await s.providers.clearDrops(alice, new Map(), 4000);
  await s.awaitingKeys.hold({ eventId: '$enc', roomId: '!portal:x', event: { type: 'm.room.encrypted', content: { ciphertext: 'c' } }, reason: 'MissingRoomKey', heldAt: 5000 });
  return s;
}

/** reads that cover every table, run on both stores and compared */
const probes: Array<[string, (s: BridgeStore) => unknown]> = [
  ['users', (s) => Promise.all([s.users.get(alice), s.users.get(bob), s.users.findByManagementRoom('!mgmt:x')])],
  ['transactions', (s) => Promise.all([s.transactions.isProcessed('2', 'h2'), s.transactions.lastProcessed(), s.transactions.isEventHandled('$handled')])],
  ['bot commands', (s) => s.botCommands.pending()],
  ['logins', (s) => Promise.all([s.logins.all(), s.logins.getPending(bob)])],
  ['ghosts', (s) => Promise.all([s.ghosts.get(carol), s.ghosts.count()])],
  ['portals', (s) => Promise.all([s.portals.ofContact(carol), s.portals.byRoom('!portal:x'), s.portals.withRoomCount()])],
  ['messages', (s) => Promise.all([s.messages.byRemoteId(alice, carol, 'r1'), s.messages.latest(alice, carol), s.messages.latest(alice, carol, alice)])],
  ['reactions', (s) => s.reactions.bySender(alice, carol, 'r1', alice)],
  ['outbox', (s) => Promise.all([s.outbox.get(1), s.outbox.get(2), s.outbox.nextFor(alice, carol), s.outbox.pendingCount(), s.outbox.delayedUnreported(Date.now() + 1000)])],
  ['contacts', (s) => Promise.all([s.contacts.get(alice, carol), s.contacts.unencryptedNoticeDue(alice, carol)])],
  ['held', (s) => s.held.of(alice, carol)],
  ['unreadable', (s) => s.unreadable.unreported(alice)],
  ['blocks', (s) => Promise.all([s.blocks.list(alice), s.blocks.syncState(alice)])],
  ['requests', (s) => Promise.all([s.requests.list(bob), s.requests.held(bob, dave), s.requests.drops(bob)])],
  ['providers', (s) => Promise.all([s.providers.choices(alice), s.providers.drops(alice), s.providers.lastSummaryAt(alice), s.providers.seen(alice)])],
  ['awaiting keys', (s) => s.awaitingKeys.oldest(10)],
];

async function copiedInto(source: SqliteBridgeStore): Promise<{ url: string; copied: Awaited<ReturnType<typeof copySqliteToPostgres>> }> {
  const url = await freshSchema(db);
  await (await PostgresBridgeStore.open({ url, poolSize: 1 })).close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return { url, copied: await copySqliteToPostgres(source.connection, client) };
  } finally {
    await client.end();
  }
}

test('migrate-db: what the SQLite repositories stored, the PostgreSQL ones read back the same', async () => {
  const source = await filledSqlite();
  try {
    const { url, copied } = await copiedInto(source);
    const target = await PostgresBridgeStore.open({ url, poolSize: 2 });
    try {
      for (const [name, read] of probes) assert.deepEqual(await read(target), await read(source), name);
      // every table of the SQLite file was copied, with its count
      const tables = source.connection.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all();
      assert.deepEqual(copied.map((t) => t.table).sort(), tables.map((t) => t.name).sort());
      assert.equal(copied.find((t) => t.table === 'outbox')?.rows, 3);
      // new rows get IDs past the copied ones, and past a deleted one
      await target.portals.ensure(alice, dave);
      await target.outbox.enqueue(alice, dave, '$o4', {});
      assert.equal((await target.outbox.nextFor(alice, dave))?.id, 4);
      assert.equal(await target.held.hold(alice, carol, { sealed: 'h4' }, 'r8'), 4);
      // rowid order carried over: the newest of two messages at the same time is still the later one
      await target.messages.put({ owner: alice, contact: carol, remoteId: 'r3', part: 0, sender: carol, roomId: '!portal:x', eventId: '$m4', timestamp: 1000 });
      assert.equal((await target.messages.latest(alice, carol))?.eventId, '$m4');
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
});

test('migrate-db: a PostgreSQL database that holds bridge data is refused, and left as it was', async () => {
  const source = await filledSqlite();
  try {
    const { url } = await copiedInto(source);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await assert.rejects(copySqliteToPostgres(source.connection, client), (error: unknown) => {
        assert.ok(error instanceof TargetNotEmptyError);
        assert.match(error.message, /already holds bridge data \(.*outbox: 3 rows.*\); migrate-db copies into an empty database only/);
        return true;
      });
      assert.equal((await client.query('SELECT COUNT(*)::int AS n FROM outbox')).rows[0].n, 3);
    } finally {
      await client.end();
    }
  } finally {
    await source.close();
  }
});

test('migrate-db: a SQLite table the bridge does not know is refused, and nothing is copied', async () => {
  const source = await filledSqlite();
  source.connection.exec('CREATE TABLE leftover_keys (k TEXT)');
  try {
    const url = await freshSchema(db);
    await (await PostgresBridgeStore.open({ url, poolSize: 1 })).close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await assert.rejects(copySqliteToPostgres(source.connection, client), /tables that are not the bridge's \(leftover_keys\); they would be lost, so nothing was copied/);
      assert.equal((await client.query('SELECT COUNT(*)::int AS n FROM users')).rows[0].n, 0);
    } finally {
      await client.end();
    }
  } finally {
    await source.close();
  }
});

test('migrate-db command: copies database.path into database.url and prints counts, not contents', async () => {
  const path = join(dir, 'command.db');
  const source = await filledSqlite(path);
  await source.outbox.enqueue(alice, carol, '$secret', { body: BODY });
  await source.close();
  const url = await freshSchema(db);
  const config = parseConfig(`
homeserver: { url: "http://127.0.0.1:8008", domain: example.org }
appservice: { port: 29330, url: "http://127.0.0.1:29330" }
bridge: { permissions: { example.org: user } }
network: { connector: interop, gateway_url: "ws://127.0.0.1:29340", provider_id: bridge }
database: { type: postgres, url: "${url}", path: "${path}" }
`);
  const lines: string[] = [];
  await migrateDb(config, { INTEROP_PROVIDER_SECRET: 'a-provider-secret-long-enough' }, (line) => lines.push(line));
  const out = lines.join('\n');
  assert.match(out, /^copying .*command\.db \(schema version \d+\) into the PostgreSQL database \S+ on 127\.0\.0\.1:5432 as user postgres$/m);
  assert.match(out, /^ {2}outbox +4$/m);
  assert.match(out, /^copied \d+ rows in \d+ tables; every table's count matches/m);
  for (const secret of [BODY, carol, dave, 'sealed-q1']) assert.ok(!out.includes(secret), `the output does not show ${secret}`);
  const target = await PostgresBridgeStore.open({ url, poolSize: 1 });
  try {
    assert.equal(await target.outbox.pendingCount(), 3);
  } finally {
    await target.close();
  }
});

test('migrate-db command: refuses a config that is not on PostgreSQL, and a SQLite file that is not there', async () => {
  const base = `
homeserver: { url: "http://127.0.0.1:8008", domain: example.org }
appservice: { port: 29330, url: "http://127.0.0.1:29330" }
bridge: { permissions: { example.org: user } }
network: { connector: interop, gateway_url: "ws://127.0.0.1:29340", provider_id: bridge }
`;
  await assert.rejects(migrateDb(parseConfig(base), {}, () => undefined), /database\.type: migrate-db copies into PostgreSQL/);
  const missing = parseConfig(base + `database: { type: postgres, url: "${db.url}", path: "${join(dir, 'nothing-here.db')}" }\n`);
  await assert.rejects(migrateDb(missing, {}, () => undefined), /there is no SQLite database at .*nothing-here\.db \(database\.path\) to copy/);
});
