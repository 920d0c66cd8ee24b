import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { generateDeviceKeys } from '../../../src/interop-client/signal/keys';
import { SIGNAL_SCHEMA_VERSION } from '../../../src/interop-client/signal/migrations';
import { SodiumSecretBox } from '../../../src/interop-client/signal/secret-box';
import { SignalDatabase } from '../../../src/interop-client/signal/sqlite-database';

const dir = mkdtempSync(join(tmpdir(), 'interop-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite Signal store', () => {
  it('seals private keys at rest and opens them only with the right secret', async () => {
    const file = join(dir, 'sealed.db');
    const db = new SignalDatabase(file);
    const box = await SodiumSecretBox.fromSecret('a long random secret for this test');
    const stores = db.forAccount('+4915100000001', box);
    await generateDeviceKeys(stores, { oneTimePreKeys: 2, oneTimeKyberPreKeys: 0 });
    const state = await stores.local.load();
    assert.ok(state);
    const privateBytes = Buffer.from(state.identityKeyPair.privateKey.serialize());
    const prekey = await stores.preKey.getPreKey(1);
    const prekeyPrivate = Buffer.from(prekey.privateKey().serialize());
    db.close();

    const raw = readFileSync(file);
    assert.equal(raw.indexOf(privateBytes), -1, 'identity private key found in the database file');
    assert.equal(raw.indexOf(prekeyPrivate), -1, 'prekey private key found in the database file');

    const reopened = new SignalDatabase(file);
    const good = await reopened.forAccount('+4915100000001', box).local.load();
    assert.deepEqual(Buffer.from(good!.identityKeyPair.privateKey.serialize()), privateBytes);
    const wrong = await SodiumSecretBox.fromSecret('another secret, not the one used');
    await assert.rejects(reopened.forAccount('+4915100000001', wrong).local.load(), /wrong key-at-rest secret/);
    reopened.close();
  });

  it('keeps accounts apart in one database', async () => {
    const db = new SignalDatabase(join(dir, 'shared.db'));
    const a = db.forAccount('+4915100000001');
    const b = db.forAccount('+4915100000002');
    await generateDeviceKeys(a, { oneTimePreKeys: 5, oneTimeKyberPreKeys: 1 });
    await generateDeviceKeys(b, { oneTimePreKeys: 2, oneTimeKyberPreKeys: 0 });
    assert.equal(await a.preKey.countPreKeys(), 5);
    assert.equal(await b.preKey.countPreKeys(), 2);
    const [sa, sb] = [await a.local.load(), await b.local.load()];
    assert.ok(!sa!.identityKeyPair.publicKey.equals(sb!.identityKeyPair.publicKey));
    db.close();
  });

  it('hands out increasing prekey ids that never repeat', async () => {
    const db = new SignalDatabase(join(dir, 'ids.db'));
    const s = db.forAccount('+4915100000003');
    const first = await generateDeviceKeys(s, { oneTimePreKeys: 3, oneTimeKyberPreKeys: 0 });
    const more = await generateDeviceKeys(s, { oneTimePreKeys: 3, oneTimeKyberPreKeys: 0 });
    const ids = [...first.oneTimePreKeys!, ...more.oneTimePreKeys!].map((k) => k.keyId);
    assert.deepEqual(ids, [1, 2, 3, 4, 5, 6]);
    db.close();
  });

  it('refuses a database written by a newer schema', () => {
    const file = join(dir, 'newer.db');
    new SignalDatabase(file).close();
    const raw = new Database(file);
    raw.prepare('UPDATE signal_schema_version SET version = ?').run(SIGNAL_SCHEMA_VERSION + 1);
    raw.close();
    assert.throws(() => new SignalDatabase(file), /newer than this code/);
  });

  it('migrates an empty database once and is idempotent on reopen', () => {
    const file = join(dir, 'migrate.db');
    new SignalDatabase(file).close();
    new SignalDatabase(file).close();
    const raw = new Database(file);
    const rows = raw.prepare('SELECT version FROM signal_schema_version').all();
    raw.close();
    assert.deepEqual(rows, [{ version: SIGNAL_SCHEMA_VERSION }]);
  });
});
