import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { DeviceKeys, PreKeyBundle } from '../../../src/protocol/frames';
import { generateDeviceKeys } from '../../../src/interop-client/signal/keys';
import { SignalDatabase } from '../../../src/interop-client/signal/sqlite-database';
import { DuplicateMessageError, SignalSessions, type IdentityChangedEvent } from '../../../src/interop-client/signal/sessions';

const dir = mkdtempSync(join(tmpdir(), 'interop-signal-'));
const databases: SignalDatabase[] = [];
after(() => {
  for (const db of databases) db.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Party {
  phone: string;
  deviceId: number;
  sessions: SignalSessions;
  keys: DeviceKeys;
  registrationId: number;
  db: SignalDatabase;
}

async function party(phone: string, file: string, deviceId = 1): Promise<Party> {
  const db = new SignalDatabase(join(dir, file));
  databases.push(db);
  const stores = db.forAccount(phone);
  const keys = await generateDeviceKeys(stores, { oneTimePreKeys: 3, oneTimeKyberPreKeys: 2 });
  const state = await stores.local.load();
  assert.ok(state);
  await stores.local.setDeviceId(deviceId);
  return { phone, deviceId, sessions: new SignalSessions(stores, phone, deviceId), keys, registrationId: state.registrationId, db };
}

/** What the key directory would hand out: one one-time key of each kind. */
function bundleOf(p: Party, index = 0): PreKeyBundle {
  return {
    identityKey: p.keys.identityKey,
    signedPreKey: p.keys.signedPreKey,
    kyberPreKey: p.keys.oneTimeKyberPreKeys?.[index] ?? p.keys.kyberPreKey,
    oneTimePreKey: p.keys.oneTimePreKeys?.[index],
  };
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('Signal sessions over the SQLite stores', () => {
  it('establishes a session from a bundle and exchanges messages both ways', async () => {
    const alice = await party('+4915100000001', 'a.db');
    const bob = await party('+4915100000002', 'b.db');
    assert.equal(await alice.sessions.hasSession(bob.phone, 1), false);
    await alice.sessions.startSession(bob.phone, bob.deviceId, bob.registrationId, bundleOf(bob));
    assert.equal(await alice.sessions.hasSession(bob.phone, 1), true);

    const first = await alice.sessions.encrypt(bob.phone, 1, utf8('hello bob'));
    assert.equal(first.type, 'prekey');
    assert.equal(text(await bob.sessions.decrypt(alice.phone, 1, first.type, first.body)), 'hello bob');

    const reply = await bob.sessions.encrypt(alice.phone, 1, utf8('hi alice'));
    assert.equal(reply.type, 'whisper');
    assert.equal(text(await alice.sessions.decrypt(bob.phone, 1, reply.type, reply.body)), 'hi alice');

    // Once Bob has answered, Alice's messages no longer carry the prekey header.
    const second = await alice.sessions.encrypt(bob.phone, 1, utf8('second'));
    assert.equal(second.type, 'whisper');
    assert.equal(text(await bob.sessions.decrypt(alice.phone, 1, second.type, second.body)), 'second');

    // The one-time prekey Alice used is consumed on Bob's side.
    const bobStores = bob.db.forAccount(bob.phone);
    assert.equal(await bobStores.preKey.countPreKeys(), 2);
    assert.equal(await bobStores.kyberPreKey.countOneTimeKyberPreKeys(), 1);

    // A redelivered message is recognised, not decrypted twice.
    await assert.rejects(bob.sessions.decrypt(alice.phone, 1, second.type, second.body), DuplicateMessageError);
  });

  it('keeps the order of concurrent encryptions to one device', async () => {
    const alice = await party('+4915100000011', 'a2.db');
    const bob = await party('+4915100000012', 'b2.db');
    await alice.sessions.startSession(bob.phone, 1, bob.registrationId, bundleOf(bob));
    const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => alice.sessions.encrypt(bob.phone, 1, utf8(`m${i}`))));
    const received: string[] = [];
    for (const m of sent) received.push(text(await bob.sessions.decrypt(alice.phone, 1, m.type, m.body)));
    assert.deepEqual(received, Array.from({ length: 20 }, (_, i) => `m${i}`));
  });

  it('survives reopening the database (sessions are durable)', async () => {
    const alice = await party('+4915100000021', 'a3.db');
    const bob = await party('+4915100000022', 'b3.db');
    await alice.sessions.startSession(bob.phone, 1, bob.registrationId, bundleOf(bob));
    const m1 = await alice.sessions.encrypt(bob.phone, 1, utf8('before restart'));
    await bob.sessions.decrypt(alice.phone, 1, m1.type, m1.body);
    bob.db.close();
    const reopened = new SignalDatabase(join(dir, 'b3.db'));
    databases.push(reopened);
    const bobAgain = new SignalSessions(reopened.forAccount(bob.phone), bob.phone, 1);
    const m2 = await alice.sessions.encrypt(bob.phone, 1, utf8('after restart'));
    assert.equal(text(await bobAgain.decrypt(alice.phone, 1, m2.type, m2.body)), 'after restart');
  });

  it('detects an identity key change, accepts the new key and reports old and new fingerprints', async () => {
    const alice = await party('+4915100000031', 'a4.db');
    const bob = await party('+4915100000032', 'b4.db');
    await alice.sessions.startSession(bob.phone, 1, bob.registrationId, bundleOf(bob));
    const before = await alice.sessions.safetyNumbers(bob.phone);
    assert.equal(before.length, 1);
    assert.match(before[0].safetyNumber, /^(\d{5} ){11}\d{5}$/);

    // Bob reinstalls: same number, same device id, brand-new identity.
    const bobReinstalled = await party(bob.phone, 'b4-new.db');
    const events: IdentityChangedEvent[] = [];
    const seen = new Promise<void>((resolve) =>
      alice.sessions.once('identityChanged', (e) => {
        events.push(e);
        resolve();
      }),
    );
    await alice.sessions.startSession(bob.phone, 1, bobReinstalled.registrationId, bundleOf(bobReinstalled));
    await seen;
    assert.equal(events[0].remotePhone, bob.phone);
    assert.equal(events[0].deviceId, 1);
    assert.notEqual(events[0].oldFingerprint, events[0].newFingerprint);
    assert.equal(events[0].oldSafetyNumber, before[0].safetyNumber);
    const after = await alice.sessions.safetyNumbers(bob.phone);
    assert.equal(after[0].safetyNumber, events[0].newSafetyNumber);
    assert.notEqual(after[0].safetyNumber, before[0].safetyNumber);

    // TOFU: the new session works.
    const m = await alice.sessions.encrypt(bob.phone, 1, utf8('still there?'));
    assert.equal(text(await bobReinstalled.sessions.decrypt(alice.phone, 1, m.type, m.body)), 'still there?');
    const changes = await alice.db.forAccount(alice.phone).identity.identityChanges(bob.phone);
    assert.equal(changes.length, 1);
  });

  it('reports a reinstall that comes back under a new device id as an identity change', async () => {
    const alice = await party('+4915100000061', 'a7.db');
    const bob = await party('+4915100000062', 'b7.db', 1);
    await alice.sessions.startSession(bob.phone, 1, bob.registrationId, bundleOf(bob));
    const bobNew = await party(bob.phone, 'b7-new.db', 2);
    const seen = new Promise<IdentityChangedEvent>((resolve) => alice.sessions.once('identityChanged', resolve));
    // the network said device 1 is gone (stale_devices extra), then handed out device 2
    await alice.sessions.forgetDevice(bob.phone, 1);
    await alice.sessions.startSession(bob.phone, 2, bobNew.registrationId, bundleOf(bobNew));
    const event = await seen;
    assert.equal(event.deviceId, 2);
    assert.equal(event.oldDeviceId, 1);
    assert.notEqual(event.oldSafetyNumber, event.newSafetyNumber);
    // only the current device is listed for the safety number
    assert.deepEqual((await alice.sessions.safetyNumbers(bob.phone)).map((n) => n.deviceId), [2]);
  });

  it('does not report a change when the same key is seen again', async () => {
    const alice = await party('+4915100000071', 'a8.db');
    const bob = await party('+4915100000072', 'b8.db');
    let changes = 0;
    alice.sessions.on('identityChanged', () => changes++);
    await alice.sessions.startSession(bob.phone, 1, bob.registrationId, bundleOf(bob, 0));
    await alice.sessions.startSession(bob.phone, 1, bob.registrationId, bundleOf(bob, 1));
    const m = await alice.sessions.encrypt(bob.phone, 1, utf8('same key'));
    assert.equal(text(await bob.sessions.decrypt(alice.phone, 1, m.type, m.body)), 'same key');
    assert.equal(changes, 0);
    assert.equal((await alice.db.forAccount(alice.phone).identity.identityChanges(bob.phone)).length, 0);
  });

  it('computes the same safety number on both sides', async () => {
    const alice = await party('+4915100000041', 'a5.db');
    const bob = await party('+4915100000042', 'b5.db');
    await alice.sessions.startSession(bob.phone, 1, bob.registrationId, bundleOf(bob));
    const m = await alice.sessions.encrypt(bob.phone, 1, utf8('x'));
    await bob.sessions.decrypt(alice.phone, 1, m.type, m.body);
    const [fromAlice] = await alice.sessions.safetyNumbers(bob.phone);
    const [fromBob] = await bob.sessions.safetyNumbers(alice.phone);
    assert.equal(fromAlice.safetyNumber, fromBob.safetyNumber);
  });

  it('refuses a tampered ciphertext', async () => {
    const alice = await party('+4915100000051', 'a6.db');
    const bob = await party('+4915100000052', 'b6.db');
    await alice.sessions.startSession(bob.phone, 1, bob.registrationId, bundleOf(bob));
    const m = await alice.sessions.encrypt(bob.phone, 1, utf8('integrity'));
    const bytes = Buffer.from(m.body, 'base64');
    bytes[bytes.length - 3] ^= 0x01;
    await assert.rejects(bob.sessions.decrypt(alice.phone, 1, m.type, bytes.toString('base64')));
  });
});
