// security.encryption: require, end to end (the real Synapse, gateway and bridge): a portal made
// while the bridge ran with `allow` is unencrypted; the admin restarts the bridge with `require`.
// Before the ghost's next message goes into the room the bridge turns encryption on (the bot's
// m.room.encryption), the message arrives encrypted, decrypts on Alice's device and its hop
// trail says the homeserver held ciphertext only; a message
// Alice sends unencrypted is not bridged and she is told, encrypted; her encrypted one reaches
// Sam; and Synapse stores nothing in plaintext from the bridge's users after the restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE_PHONE, startEncryptedWorld } from '../helpers/encrypted-env';
import { reader } from '../helpers/encrypted-room-reader';
import { HOP_TRAIL_KEY } from '../../src/security/namespace';
import { remoteText, roomState, simReceivesText, startChatFromRemote } from '../helpers/interop-env';

const SAM_PHONE = '+14155552671';

test('require: a plaintext portal from before gets encryption before the first bridged message; plaintext from Matrix is refused', { timeout: 240_000 }, async (t) => {
  const world = await startEncryptedWorld(t, (c) => { c.security.encryption = 'allow'; });
  const { env, alice, aliceCrypto } = world;
  const { sim: sam, ghost, portal } = await startChatFromRemote(env, alice, ALICE_PHONE, SAM_PHONE);
  assert.ok(!(await roomState(alice, portal)).some((e) => e.type === 'm.room.encryption'), 'made unencrypted under allow');

  await env.bridgeEnv.stopBridge();
  env.config.security.encryption = 'require';
  await env.bridgeEnv.startBridge();
  const { stored, decryptedFrom } = reader(aliceCrypto, portal);
  const before = (await stored()).length;

  await sam.sendText(ALICE_PHONE, 'after the restart');
  await aliceCrypto.track([ghost, env.botUserId]);
  const first = await decryptedFrom(ghost, 'after the restart');
  const since = (await stored()).slice(before);
  const turnedOn = since.findIndex((e) => e.type === 'm.room.encryption');
  assert.ok(turnedOn >= 0, 'the bridge turned encryption on');
  assert.equal(since[turnedOn].sender, env.botUserId);
  assert.ok(turnedOn < since.findIndex((e) => e.event_id === first.event.event_id), 'before the first bridged message');
  // and its trail says so: the homeserver held ciphertext only
  const trail = first.decrypted.event.content[HOP_TRAIL_KEY] as { plaintext_exposed_at: string[]; hops: Array<{ to: string; protection: string }> };
  assert.deepEqual(trail.hops.filter((h) => h.to === 'homeserver' || h.to === 'matrix_clients').map((h) => h.protection), ['megolm_e2e', 'megolm_e2e']);
  assert.deepEqual(trail.plaintext_exposed_at, ['bridge']);

  // Alice's client still thinks the room is plain (or misbehaves): the bridge does not pass it on
  const plain = await alice.sendEvent(portal, 'm.room.message', { msgtype: 'm.text', body: 'sent in the clear' });
  const told = await decryptedFrom(env.botUserId, /not delivered: this bridge accepts only encrypted messages/);
  const inReplyTo = (c: Record<string, unknown>) => (c['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined)?.['m.in_reply_to']?.event_id;
  assert.equal(inReplyTo(told.decrypted.event.content) ?? inReplyTo(told.event.content), plain);

  const reply = 'encrypted, as required';
  await aliceCrypto.sendEncrypted(portal, [aliceCrypto.userId, ghost, env.botUserId], { msgtype: 'm.text', body: reply });
  await simReceivesText(sam, ALICE_PHONE, reply, 30_000);
  // messages go in order: had the plaintext one been bridged, Sam would have it before the reply
  assert.ok(!sam.received.some((m) => remoteText(m.content) === 'sent in the clear'), 'the plaintext message was not bridged');

  const fromBridge = (await stored()).slice(before).filter((e) => (e.sender === ghost || e.sender === env.botUserId) && e.state_key === undefined);
  assert.ok(fromBridge.length >= 2, `the ghost's message and the bot's notice at least (${fromBridge.length})`);
  assert.deepEqual([...new Set(fromBridge.map((e) => e.type))], ['m.room.encrypted'], 'nothing in plaintext from the bridge after the restart');
});
