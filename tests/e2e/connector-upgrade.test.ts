// An install from before connectors had storage of their own, upgraded (real Synapse, real
// gateway, the real bridge): its config has no network.connector and its Signal keys sit in
// bridge.db. After the upgrade it starts, the keys are in bridge.interop.db and gone from
// bridge.db, and the same login chats on both ways with the same Signal sessions, no new login.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { SIGNAL_TABLES } from '../../src/interop-client/signal/migrations';
import { connectorDatabasePath, copyLegacyTables } from '../../src/connectors/storage';
import { messageFrom, matrixUser, simReceivesText, startChatFromRemote, startInteropEnv } from '../helpers/interop-env';

const ALICE_PHONE = '+4915112345678';
const SAM_PHONE = '+14155552671';

function signalTables(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'signal%'").all().map((r) => r.name);
  } finally {
    db.close();
  }
}

/** Puts the connector's tables back into the bridge's database and removes its own file: the
 *  layout the previous version left on disk. */
function backToTheOldLayout(bridgePath: string): void {
  const connectorPath = connectorDatabasePath(bridgePath, 'interop');
  const bridge = new Database(bridgePath);
  copyLegacyTables(bridge, connectorPath, SIGNAL_TABLES);
  bridge.exec('DROP TABLE bridge_moved_tables');
  bridge.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(connectorPath + suffix, { force: true });
}

test('a pre-connector install (no network.connector, keys in bridge.db) keeps its login and sessions after the upgrade', async (t) => {
  const env = await startInteropEnv({
    adjust: (config) => {
      delete config.network.connector;
      // the installs this upgrade came to were SQLite ones (their keys sat in bridge.db), also
      // in the PostgreSQL run of the suite (TEST_BRIDGE_DB=postgres)
      config.database.type = 'sqlite';
      delete config.database.url;
    },
  });
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const { sim: sam, ghost, portal } = await startChatFromRemote(env, alice, ALICE_PHONE, SAM_PHONE);
  await alice.sendText(portal, 'before the upgrade');
  await simReceivesText(sam, ALICE_PHONE, 'before the upgrade', 30_000);

  await env.bridgeEnv.stopBridge();
  const bridgePath = env.config.database.path;
  backToTheOldLayout(bridgePath);
  assert.equal(signalTables(bridgePath).length, SIGNAL_TABLES.length, 'the old layout: the keys in bridge.db');
  await env.bridgeEnv.startBridge();

  assert.deepEqual(signalTables(bridgePath), [], "moved out of the bridge's database");
  assert.equal(signalTables(connectorDatabasePath(bridgePath, 'interop')).length, SIGNAL_TABLES.length);
  const mark = await alice.catchUp();
  await sam.sendText(ALICE_PHONE, 'after the upgrade');
  await alice.waitForEvent(messageFrom(portal, ghost, 'after the upgrade'), { after: mark, timeoutMs: 60_000 });
  await alice.sendText(portal, 'still the same sessions');
  await simReceivesText(sam, ALICE_PHONE, 'still the same sessions', 30_000);
});
