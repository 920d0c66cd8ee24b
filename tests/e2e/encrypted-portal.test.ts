// End-to-bridge encryption in a portal (security.encryption: default), end to end: the real
// Synapse (MSC2409/MSC3202 on), the real gateway, the real bridge and a simulated remote
// person; the Matrix user reads and writes through a crypto-wasm client of the test's own
// (a second login of theirs, tests/helpers/crypto-test-client.ts). The portal is created
// encrypted; the contact's text reaches the user from the ghost's own device and decrypts
// under CrossSignedOrLegacy (Element's "exclude insecure devices") with no shield; the user's
// encrypted reply reaches the contact; and what Synapse stores of the bridge's events in the
// room is ciphertext only: no m.room.message from the ghost or the bot, ever. A message whose
// key never reached the bridge is answered in the room (after security.undecryptable_timeout_seconds),
// not dropped. With `allow`, a plain
// portal the owner encrypts mid-conversation is read and written encrypted from then on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import { DEFAULT_DEVICE_DISPLAY_NAME } from '../../src/matrix/crypto/device-manager';
import { ALICE_PHONE, portalFromContact, startEncryptedWorld } from '../helpers/encrypted-env';
import { reader } from '../helpers/encrypted-room-reader';
import { encryptionEnabledNotice } from '../../src/security/notices';
import { HOP_TRAIL_KEY, SECURITY_STATE_TYPE } from '../../src/security/namespace';
import {
  messageFrom, roomState, simReceivesText,
  startChatFromRemote,
} from '../helpers/interop-env';

const SAM_PHONE = '+14155552671';

test('an encrypted portal: text both ways, ciphertext only on the homeserver, trusted under CrossSignedOrLegacy', { timeout: 240_000 }, async (t) => {
  // a short wait for room keys: the message below whose key never comes is told after it
  // (a key that comes late: tests/e2e/encrypted-late-key.test.ts)
  // Alice's encrypting device: logged in before the portal exists, so the ghost shares the first message's key with it
  const world = await startEncryptedWorld(t, (c) => { c.security.encryption = 'default'; c.security.undecryptable_timeout_seconds = 1; });
  const { env, alice, aliceCrypto } = world;

  const { sam, ghost, portal } = await portalFromContact(world, SAM_PHONE, 'hello, encrypted');
  assert.ok((await roomState(alice, portal)).some((e) => e.type === 'm.room.encryption' && e.content.algorithm === 'm.megolm.v1.aes-sha2'),
    'the portal was created encrypted');

  const { stored, decryptedFrom } = reader(aliceCrypto, portal);

  await aliceCrypto.track([ghost, env.botUserId]);
  const hello = await decryptedFrom(ghost, 'hello, encrypted');
  assert.equal(hello.decrypted.event.type, 'm.room.message');
  assert.equal(hello.decrypted.shield.color, wasm.ShieldColor.None, `shield: ${hello.decrypted.shield.message}`);
  const ghostDevice = hello.decrypted.senderDevice;
  assert.ok(ghostDevice, 'the sending device is known');
  const device = await aliceCrypto.machine.getDevice(new wasm.UserId(ghost), new wasm.DeviceId(ghostDevice));
  assert.ok(device?.isCrossSignedByOwner(), "the ghost's device is cross-signed by the ghost");
  assert.equal(device?.displayName, DEFAULT_DEVICE_DISPLAY_NAME);
  // the trail the message carries says the homeserver held ciphertext only; so does the room
  const trail = hello.decrypted.event.content[HOP_TRAIL_KEY] as { plaintext_exposed_at: string[]; hops: Array<{ to: string; protection: string }> };
  assert.deepEqual(trail.plaintext_exposed_at, ['bridge']);
  assert.deepEqual(trail.hops.filter((h) => h.to === 'homeserver' || h.to === 'matrix_clients').map((h) => h.protection), ['megolm_e2e', 'megolm_e2e']);
  const summary = (await roomState(alice, portal)).find((e) => e.type === SECURITY_STATE_TYPE)?.content as { bridge_can_read_room?: boolean; plaintext_exposed_at?: string[] } | undefined;
  assert.equal(summary?.bridge_can_read_room, true);
  assert.deepEqual(summary?.plaintext_exposed_at, ['bridge']);

  // the bot's portal notice is encrypted too, from the bot's own device
  const notice = await decryptedFrom(env.botUserId, /Where messages in this chat can be read/);
  assert.equal(notice.decrypted.shield.color, wasm.ShieldColor.None, `shield: ${notice.decrypted.shield.message}`);
  assert.notEqual(notice.decrypted.senderDevice, ghostDevice, 'the bot speaks from a device of its own');
  assert.doesNotMatch(String(notice.decrypted.event.content.body), /your homeserver, because/, 'the notice does not list the homeserver as a reader');

  // a message whose key the bridge never got (shared with Alice's own devices only) is not
  // dropped silently: once its wait for the key is over, the bot answers it in the room, encrypted
  const unreadable = await aliceCrypto.sendEncrypted(portal, [aliceCrypto.userId], { msgtype: 'm.text', body: 'not for the bridge' });
  const told = await decryptedFrom(env.botUserId, /could not decrypt a message you sent/);
  assert.match(String(told.decrypted.event.content.body), /the key for it never reached the bridge/);
  const inReplyTo = (c: Record<string, unknown>) => (c['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined)?.['m.in_reply_to']?.event_id;
  assert.equal(inReplyTo(told.decrypted.event.content) ?? inReplyTo(told.event.content), unreadable, 'the notice answers the message it is about');

  // Matrix → remote: Alice's encrypted reply reaches Sam
  const reply = 'hi Sam, from an encrypted room';
  await aliceCrypto.sendEncrypted(portal, [aliceCrypto.userId, ghost, env.botUserId], { msgtype: 'm.text', body: reply });
  await simReceivesText(sam, ALICE_PHONE, reply, 30_000);

  // remote → Matrix once more, after the reply (an existing outbound session, a later message index)
  await sam.sendText(ALICE_PHONE, 'and back again');
  const again = await decryptedFrom(ghost, 'and back again');
  assert.equal(again.decrypted.senderDevice, ghostDevice);
  assert.equal(again.decrypted.shield.color, wasm.ShieldColor.None, `shield: ${again.decrypted.shield.message}`);

  // what Synapse keeps of the bridge's events in the room: ciphertext, never m.room.message
  const fromBridge = (await stored()).filter((e) => (e.sender === ghost || e.sender === env.botUserId) && e.state_key === undefined);
  assert.ok(fromBridge.length >= 3, `the ghost's two messages and the bot's notice at least (${fromBridge.length})`);
  assert.deepEqual([...new Set(fromBridge.map((e) => e.type))], ['m.room.encrypted'], 'the bridge sent nothing in plaintext into the encrypted room');
  assert.ok(fromBridge.every((e) => e.content.body === undefined && typeof e.content.ciphertext === 'string'));
});

test('encryption: allow: a plain portal the owner encrypts mid-conversation is read and written encrypted from then on', { timeout: 240_000 }, async (t) => {
  const world = await startEncryptedWorld(t, (c) => { c.security.encryption = 'allow'; });
  const { env, alice, aliceCrypto } = world;
  const { sim: sam, ghost, portal } = await startChatFromRemote(env, alice, ALICE_PHONE, SAM_PHONE);
  assert.ok(!(await roomState(alice, portal)).some((e) => e.type === 'm.room.encryption'), 'allow does not create portals encrypted');
  assert.ok(alice.seen.some(messageFrom(portal, ghost, 'hello')), 'before encryption, the ghost writes in clear');

  await alice.request('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(portal)}/state/m.room.encryption/`, { algorithm: 'm.megolm.v1.aes-sha2' });
  const { stored, decryptedFrom } = reader(aliceCrypto, portal);
  await aliceCrypto.track([ghost, env.botUserId]);
  // the bot's notice, encrypted: by now the ghost has its device too (made when the bridge saw the state)
  const notice = await decryptedFrom(env.botUserId, encryptionEnabledNotice(true).body);
  assert.equal(notice.decrypted.shield.color, wasm.ShieldColor.None, `shield: ${notice.decrypted.shield.message}`);
  const sinceEncrypted = (await stored()).findIndex((e) => e.type === 'm.room.encryption');

  const reply = 'now encrypted, and still delivered';
  await aliceCrypto.track([ghost]);
  await aliceCrypto.sendEncrypted(portal, [aliceCrypto.userId, ghost, env.botUserId], { msgtype: 'm.text', body: reply });
  await simReceivesText(sam, ALICE_PHONE, reply, 30_000);
  await sam.sendText(ALICE_PHONE, 'encrypted back');
  const back = await decryptedFrom(ghost, 'encrypted back');
  assert.equal(back.decrypted.shield.color, wasm.ShieldColor.None, `shield: ${back.decrypted.shield.message}`);

  const afterwards = (await stored()).slice(sinceEncrypted + 1)
    .filter((e) => (e.sender === ghost || e.sender === env.botUserId) && e.state_key === undefined);
  assert.ok(afterwards.length >= 2);
  assert.deepEqual([...new Set(afterwards.map((e) => e.type))], ['m.room.encrypted'], 'nothing in plaintext after encryption was turned on');
});
