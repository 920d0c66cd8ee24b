// A ghost's own device, against the pinned Synapse: the DeviceManager creates it (MSC4190 PUT
// /devices as the appservice), uploads its keys and cross-signs it; a separate Matrix user
// with a crypto-wasm client of its own sees that device as cross-signed by its owner, and a
// message the ghost encrypts into their room decrypts under CrossSignedOrLegacy (Element's
// "exclude insecure devices") from the ghost's device with no sender mismatch. With one
// machine allowed open, the ghost's machine is closed when the bot speaks and reopened from
// disk for the ghost's next message. A failed key upload fails the call and is sent again by
// the next one. The other way, Alice's encrypted message reaches the ghost's device: its room
// key comes as a to-device event inside an appservice transaction (MSC2409), which the
// DeviceManager hands to the ghost's machine before the room event is decrypted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import { parseConfig } from '../../src/config/load';
import { generateRegistration, writeRegistration } from '../../src/registration/generate';
import { SodiumSecretBox } from '../../src/interop-client/signal/secret-box';
import { CryptoStoreFile } from '../../src/matrix/crypto/journal-file';
import { DeviceManager, DEFAULT_DEVICE_DISPLAY_NAME } from '../../src/matrix/crypto/device-manager';
import { DeviceRecords } from '../../src/matrix/crypto/device-records';
import { cryptoOfTransaction, TO_DEVICE_KEY } from '../../src/matrix/crypto/transaction-crypto';
import { FetchAppserviceHttp, HomeserverRequestError, type AppserviceHttp } from '../../src/matrix/crypto/appservice-http';
import { startAppserviceRecorder } from '../helpers/appservice-recorder';
import { withCryptoExtensions } from '../helpers/crypto-registration';
import { CryptoTestClient } from '../helpers/crypto-test-client';
import { registerAppserviceUser } from '../helpers/matrix-client';
import { repoRoot, startSynapse } from '../helpers/synapse';

test('a ghost speaks from its own cross-signed device, trusted under CrossSignedOrLegacy', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'crypto-ghost-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = parseConfig(readFileSync(join(repoRoot, 'config.sample.yaml'), 'utf8'));
  config.homeserver.domain = 'localhost';
  const base = generateRegistration(config, 'http://127.0.0.1:1');
  const recorder = await startAppserviceRecorder(base.hs_token);
  t.after(() => recorder.close());
  const registration = withCryptoExtensions({ ...base, url: recorder.url });
  const registrationPath = join(dir, 'registration.yaml');
  writeRegistration(registrationPath, registration);
  const hs = await startSynapse({ registrationFiles: [registrationPath], dir: join(dir, 'hs') });
  t.after(() => hs.stop());

  const alice = await CryptoTestClient.register(hs, 'alice');
  t.after(() => alice.close());
  await alice.crossSign();
  const ghost = await registerAppserviceUser(hs.url, registration.as_token, config.appservice.ghost_username_template.replace('{phone}', '+4915112345678'));
  const botUserId = `@${registration.sender_localpart}:localhost`;
  const roomId = await alice.matrix.createRoom({
    invite: [ghost.userId], isDirect: true,
    initialState: [{ type: 'm.room.encryption', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
  });
  await ghost.join(roomId);

  // the first key upload fails once (a homeserver hiccup): that call fails, the next one sends it
  const real = new FetchAppserviceHttp(hs.url, registration.as_token);
  let failUploads = 1;
  const http: AppserviceHttp = {
    request: async (method, path, as, body) => {
      if (path.endsWith('/keys/upload') && failUploads-- > 0) throw new HomeserverRequestError(500, 'M_UNKNOWN', path, 'injected');
      return real.request(method, path, as, body);
    },
  };
  const secret = 'e2e-key-at-rest-secret-0123456789abcdef';
  const store = new CryptoStoreFile(join(dir, 'crypto.db'), await SodiumSecretBox.fromSecret(secret));
  const devices = new DeviceManager({ store, http, maxOpen: 1 });
  t.after(async () => { await devices.closeAll(); store.close(); });

  await assert.rejects(devices.withDevice(ghost.userId, async () => undefined), /500 M_UNKNOWN to \/_matrix\/client\/v3\/keys\/upload/);
  const records = new DeviceRecords(store.db, store.box);
  const firstId = records.get(ghost.userId)?.deviceId;
  assert.ok(firstId && records.get(ghost.userId)?.createdOnServer, 'the device was created on the homeserver before the upload failed');

  const send = (content: Record<string, unknown>) => devices.withDevice(ghost.userId, async (device) => {
    const encrypted = await device.encryptForRoom(roomId, [alice.userId, ghost.userId], 'm.room.message', content);
    return (await ghost.sendEvent(roomId, 'm.room.encrypted', encrypted));
  });
  const firstEvent = await send({ msgtype: 'm.text', body: 'hello from my own device' });
  const deviceId = records.get(ghost.userId)!.deviceId;
  assert.equal(deviceId, firstId, 'the retry used the device recorded before the failure');
  assert.ok(records.get(ghost.userId)!.crossSigningPublished);

  // Alice's client: the ghost's device is cross-signed by the ghost's own identity
  await alice.track([ghost.userId]);
  const seen = await alice.machine.getDevice(new wasm.UserId(ghost.userId), new wasm.DeviceId(deviceId));
  assert.ok(seen, 'Alice sees the ghost device');
  assert.ok(seen.isCrossSignedByOwner(), 'the device is signed by its owner\'s self-signing key');
  assert.equal(seen.displayName, DEFAULT_DEVICE_DISPLAY_NAME, 'the device name says it is bridged');
  assert.ok(await alice.machine.getIdentity(new wasm.UserId(ghost.userId)), 'the ghost has a cross-signing identity');

  const decrypt = async (eventId: string) => {
    const event = await alice.waitForEvent(roomId, (e) => e.event_id === eventId);
    assert.equal(event.type, 'm.room.encrypted', 'the homeserver only ever had ciphertext');
    return alice.decrypt(roomId, event, wasm.TrustRequirement.CrossSignedOrLegacy);
  };
  const first = await decrypt(firstEvent);
  assert.equal(first.event.content.body, 'hello from my own device');
  assert.equal(first.senderDevice, deviceId);
  assert.equal(first.shield.color, wasm.ShieldColor.None, `shield: ${first.shield.message}`);
  const strictest = await alice.decrypt(roomId, await alice.waitForEvent(roomId, (e) => e.event_id === firstEvent), wasm.TrustRequirement.CrossSigned);
  assert.equal(strictest.event.content.body, 'hello from my own device', 'it passes even the CrossSigned requirement');
  // strict mode's only complaint is that Alice has not verified the ghost, not its device
  assert.equal(first.strictShield.code, wasm.ShieldStateCode.UnverifiedIdentity, `strict shield: ${first.strictShield.message}`);

  // one machine allowed: the bot's device closes the ghost's, whose next message reopens it
  await devices.withDevice(botUserId, async (bot) => assert.notEqual(bot.deviceId, deviceId));
  assert.equal(devices.openCount, 1);
  const secondEvent = await send({ msgtype: 'm.text', body: 'and again after a reopen' });
  assert.equal(records.get(ghost.userId)!.deviceId, deviceId, 'the same device after the reopen');
  const second = await decrypt(secondEvent);
  assert.equal(second.event.content.body, 'and again after a reopen');
  assert.equal(second.senderDevice, deviceId);
  assert.equal(second.shield.color, wasm.ShieldColor.None, `shield: ${second.shield.message}`);

  // Alice -> ghost: the room key travels in a transaction to the ghost's device
  const fromAlice = await alice.sendEncrypted(roomId, [alice.userId, ghost.userId], { msgtype: 'm.text', body: 'hello, ghost' });
  const withKey = await recorder.waitFor((txn) => Array.isArray(txn.body[TO_DEVICE_KEY]) &&
    (txn.body[TO_DEVICE_KEY] as { to_device_id?: string }[]).some((e) => e.to_device_id === deviceId));
  const withEvent = await recorder.waitFor((txn) => ((txn.body.events ?? []) as { event_id?: string }[]).some((e) => e.event_id === fromAlice));
  for (const txn of recorder.transactions.slice(0, Math.max(recorder.transactions.indexOf(withKey), recorder.transactions.indexOf(withEvent)) + 1)) {
    const crypto = cryptoOfTransaction(txn.body);
    assert.deepEqual(crypto.skipped, []);
    await devices.receiveTransaction(crypto);
  }
  const roomEvent = ((withEvent.body.events ?? []) as { event_id?: string }[]).find((e) => e.event_id === fromAlice)!;
  const readByGhost = await devices.withDevice(ghost.userId, async (device) => JSON.parse((await device.machine.decryptRoomEvent(
    JSON.stringify(roomEvent), new wasm.RoomId(roomId), new wasm.DecryptionSettings(wasm.TrustRequirement.CrossSignedOrLegacy))).event) as { content: { body: string } });
  assert.equal(readByGhost.content.body, 'hello, ghost');

  // the cross-signing private keys are kept sealed, not in the clear
  const vaulted = records.crossSigningKeys(ghost.userId);
  assert.ok(vaulted?.masterKey);
  const raw = new Database(join(dir, 'crypto.db'), { readonly: true });
  t.after(() => raw.close());
  const sealedRow = raw.prepare('SELECT sealed FROM cross_signing_vault WHERE user_id = ?').get(ghost.userId) as { sealed: Buffer };
  assert.ok(!sealedRow.sealed.toString('latin1').includes(vaulted.masterKey), 'the vault row does not hold the key in the clear');
});
