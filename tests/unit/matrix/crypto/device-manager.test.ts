// The DeviceManager without a homeserver: one device per user however many first uses race,
// idle machines beyond the cap closed (never one in use) and reopened with the same identity,
// and each failure point (device creation, cross-signing upload, a crypto store write) fails
// its call and is picked up by the next call without a second device or a new identity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import { PlaintextSecretBox } from '../../../../src/interop-client/signal/secret-box';
import { CryptoStoreFile } from '../../../../src/matrix/crypto/journal-file';
import { DeviceManager } from '../../../../src/matrix/crypto/device-manager';
import { DeviceRecords } from '../../../../src/matrix/crypto/device-records';
import { FakeAppserviceHttp } from '../../../helpers/fake-appservice-http';

const ghost = '@wa_+15550001:localhost';
const other = '@wa_+15550002:localhost';

async function withManager(maxOpen: number | { maxOpen: number; compactAfterRows: number }, fn: (m: DeviceManager, http: FakeAppserviceHttp, store: CryptoStoreFile) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'device-manager-'));
  const store = new CryptoStoreFile(join(dir, 'crypto.db'), new PlaintextSecretBox());
  const http = new FakeAppserviceHttp();
  const manager = new DeviceManager({ store, http, ...(typeof maxOpen === 'number' ? { maxOpen } : maxOpen) });
  try {
    await fn(manager, http, store);
  } finally {
    await manager.closeAll();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const identity = (m: DeviceManager, user: string) => m.withDevice(user, async (d) => d.machine.identityKeys.ed25519.toBase64());

test('concurrent first uses of a user make one device, created, uploaded and cross-signed once', () => withManager(4, async (m, http) => {
  const ids = await Promise.all([1, 2, 3].map(() => m.withDevice(ghost, async (d) => d.deviceId)));
  assert.equal(new Set(ids).size, 1);
  assert.equal(http.callsTo(/\/devices\//).length, 1);
  assert.equal(http.callsTo(/\/keys\/device_signing\/upload$/).length, 1);
  const upload = http.callsTo(/\/keys\/upload$/)[0];
  assert.deepEqual([upload.userId, upload.deviceId], [ghost, ids[0]], 'keys/upload carries user_id and device_id');
  assert.match(JSON.parse(http.callsTo(/\/devices\//)[0].body!).display_name as string, /bridge/i);
}));

test('idle machines beyond the cap are closed, a busy one is not, and a reopened one is the same device', () => withManager(1, async (m, http) => {
  const before = await identity(m, ghost);
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  // the held machine is used after another user's call: a closed machine would throw here
  const held = m.withDevice(ghost, async (d) => { await gate; await d.machine.outgoingRequests(); return d.machine.identityKeys.ed25519.toBase64(); });
  await new Promise((r) => setImmediate(r));
  await identity(m, other);
  assert.equal(m.openCount, 1, 'over the cap, the idle machine (other) was closed, not the busy one');
  release();
  assert.equal(await held, before, 'the busy machine stayed open and usable');
  assert.equal(m.openCount, 1);
  assert.equal(await identity(m, ghost), before, 'reopened from disk with the same identity');
  assert.equal(http.callsTo(/\/devices\//).length, 2, 'one device per user, however often reopened');
  assert.equal(http.callsTo(/\/keys\/device_signing\/upload$/).length, 2, 'cross-signing published once per user');
}));

test('a failed device creation fails the call; the next call creates the same device ID', () => withManager(2, async (m, http, store) => {
  http.failNext(/\/devices\//);
  await assert.rejects(m.withDevice(ghost, async () => undefined), /500 M_UNKNOWN to \/_matrix\/client\/v3\/devices\//);
  const intended = new DeviceRecords(store.db, store.box).get(ghost);
  assert.ok(intended && !intended.createdOnServer, 'the intent was recorded before asking');
  assert.equal(await m.withDevice(ghost, async (d) => d.deviceId), intended.deviceId);
  assert.deepEqual(http.callsTo(/\/devices\//).map((c) => c.path), [1, 2].map(() => `/_matrix/client/v3/devices/${intended.deviceId}`));
}));

test('a failed cross-signing upload is sent again with the same identity by the next call', () => withManager(2, async (m, http, store) => {
  http.failNext(/\/keys\/device_signing\/upload$/);
  await assert.rejects(m.withDevice(ghost, async () => undefined), /device_signing\/upload/);
  const records = new DeviceRecords(store.db, store.box);
  assert.equal(records.get(ghost)?.crossSigningPublished, false);
  const vaulted = records.crossSigningKeys(ghost)?.masterKey;
  assert.ok(vaulted, 'the private keys were sealed away before the upload');
  await m.withDevice(ghost, async () => undefined);
  const [failed, sent] = http.callsTo(/\/keys\/device_signing\/upload$/).map((c) => JSON.parse(c.body!) as { master_key: unknown });
  assert.deepEqual(sent.master_key, failed.master_key, 'the same master key, not a new identity');
  assert.equal(records.get(ghost)?.crossSigningPublished, true);
  assert.equal(records.crossSigningKeys(ghost)?.masterKey, vaulted);
}));

test('a crypto store write that fails fails the call and closes the device; the next call reopens it from disk', () => withManager(2, async (m, _http, store) => {
  const before = await identity(m, ghost);
  store.db.exec(`CREATE TABLE fail_writes (on_ INTEGER);
    CREATE TEMP TRIGGER inject_write_failure BEFORE INSERT ON idb_journal WHEN (SELECT count(*) FROM fail_writes) > 0
    BEGIN SELECT RAISE(FAIL, 'disk full (injected)'); END;`);
  await assert.rejects(m.withDevice(ghost, async (d) => {
    store.db.exec('INSERT INTO fail_writes VALUES (1)');
    await d.machine.updateTrackedUsers([new wasm.UserId('@someone:localhost')]);
  }), /journal write failed; this crypto store must be reopened: disk full \(injected\)/);
  assert.equal(m.openCount, 0, 'the device whose memory ran ahead of its disk was closed');
  store.db.exec('DELETE FROM fail_writes');
  assert.equal(await identity(m, ghost), before);
}));

test('a machine that never goes idle long enough for the cap still gets its journal compacted', () => withManager({ maxOpen: 4, compactAfterRows: 5 }, async (m, _http, store) => {
  const before = await identity(m, ghost);
  const rows = () => (store.db.prepare('SELECT count(*) AS n FROM idb_journal').get() as { n: number }).n;
  for (let i = 0; i < 6; i++) {
    await m.withDevice(ghost, (d) => d.machine.updateTrackedUsers([new wasm.UserId(`@u${i}:localhost`)]));
  }
  assert.ok(rows() <= 7, `the journal was compacted on the way (${rows()} rows)`);
  assert.equal(await identity(m, ghost), before);
}));

test('closeAll lets running calls finish, then refuses new ones', () => withManager(2, async (m) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const running = m.withDevice(ghost, async (d) => { await gate; return d.machine.outgoingRequests(); });
  await new Promise((r) => setImmediate(r));
  const closed = m.closeAll();
  release();
  await running;
  await closed;
  assert.equal(m.openCount, 0);
  await assert.rejects(m.withDevice(ghost, async () => undefined), /device manager is closed/);
}));

test('a reopened machine asks again for the devices of the users it tracks (changes it missed while closed)', () => withManager(2, async (m, http) => {
  await m.withDevice(ghost, async (d) => {
    await d.machine.updateTrackedUsers([new wasm.UserId('@alice:localhost')]);
    await d.flushOutgoing();
  });
  await m.closeIdle();
  const queriesBefore = http.callsTo(/\/keys\/query$/).length;
  await m.withDevice(ghost, async () => undefined);
  const after = http.callsTo(/\/keys\/query$/).slice(queriesBefore).map((c) => Object.keys((JSON.parse(c.body!) as { device_keys: object }).device_keys));
  assert.ok(after.some((users) => users.includes('@alice:localhost')), `queries after the reopen: ${JSON.stringify(after)}`);
}));

test('receiveTransaction hands each device its data and ignores devices the bridge does not have', () => withManager(2, async (m) => {
  const deviceId = await m.withDevice(ghost, async (d) => d.deviceId);
  const result = await m.receiveTransaction({
    changed: [], left: [], skipped: [],
    devices: [
      { userId: ghost, deviceId, toDevice: [], oneTimeKeyCounts: { signed_curve25519: 0 } },
      { userId: ghost, deviceId: 'SOMEOLDDEVICE', toDevice: [] },
      { userId: other, deviceId: 'NEVERMADE', toDevice: [] },
    ],
  });
  assert.deepEqual(result, { delivered: 1, unknownDevices: 2 });
  assert.equal(m.openCount, 1, 'no device was made for a user that never spoke');
}));
