// The bot's management room under security.encryption: default, end to end (the real Synapse
// and bridge): Alice opens an unencrypted DM with the bot in which both may change the room's
// settings (trusted_private_chat, as Element's DMs); the bot turns encryption on as it
// joins, greets her encrypted from its own device, and answers `help` sent encrypted from her
// crypto-wasm device (tests/helpers/crypto-test-client.ts) with an encrypted answer her device
// decrypts; Synapse stores no plaintext message from the bot in the room. With `require`, a
// room the bot may not encrypt is left (the reason says why), and a plaintext command in an
// encrypted one is refused with an encrypted reply, not run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import { startEncryptedWorld } from '../helpers/encrypted-env';
import { reader } from '../helpers/encrypted-room-reader';
import { messageFrom, roomState } from '../helpers/interop-env';

test('default: the management room is encrypted by the bot, and `help` sent encrypted gets an encrypted answer', { timeout: 180_000 }, async (t) => {
  const world = await startEncryptedWorld(t, (c) => { c.security.encryption = 'default'; });
  const { env, alice, aliceCrypto } = world;
  alice.decryptor = aliceCrypto.decryptor();

  const room = await alice.createRoom({ invite: [env.botUserId], isDirect: true, preset: 'trusted_private_chat' });
  // the greeting, through Alice's crypto device (alice.decryptor)
  await alice.waitForEvent(messageFrom(room, env.botUserId, /management room/), { timeoutMs: 30_000 });
  const encryption = (await roomState(alice, room)).find((e) => e.type === 'm.room.encryption');
  assert.equal(encryption?.sender, env.botUserId, 'the bot turned encryption on');

  const { stored, decryptedFrom } = reader(aliceCrypto, room);
  await aliceCrypto.track([env.botUserId]);
  await aliceCrypto.sendEncrypted(room, [aliceCrypto.userId, env.botUserId], { msgtype: 'm.text', body: 'help' });
  const help = await decryptedFrom(env.botUserId, /\bwhoami\b/);
  assert.equal(help.decrypted.event.type, 'm.room.message');
  assert.equal(help.decrypted.shield.color, wasm.ShieldColor.None, `shield: ${help.decrypted.shield.message}`);

  const fromBot = (await stored()).filter((e) => e.sender === env.botUserId && e.state_key === undefined);
  assert.ok(fromBot.length >= 2, `the greeting and the answer at least (${fromBot.length})`);
  assert.deepEqual([...new Set(fromBot.map((e) => e.type))], ['m.room.encrypted'], 'the bot wrote nothing in plaintext there');
});

test('require: a management room the bot may not encrypt is left with the reason; in one it encrypted, a plaintext command is refused', { timeout: 180_000 }, async (t) => {
  const world = await startEncryptedWorld(t, (c) => { c.security.encryption = 'require'; });
  const { env, alice, aliceCrypto } = world;

  // private_chat: the invited bot has no power to change the room's settings
  const plainRoom = await alice.createRoom({ invite: [env.botUserId], isDirect: true });
  const left = await alice.waitForEvent((e) => e.roomId === plainRoom && e.event.type === 'm.room.member' && e.event.state_key === env.botUserId
    && e.event.content.membership === 'leave', { timeoutMs: 30_000 });
  assert.match(String(left.event.content.reason), /requires an encrypted management room/);
  assert.ok(!(await alice.roomHistory(plainRoom)).some((e) => e.sender === env.botUserId && e.type === 'm.room.message'), 'the bot said nothing in plaintext');

  alice.decryptor = aliceCrypto.decryptor();
  const room = await alice.createRoom({ invite: [env.botUserId], isDirect: true, preset: 'trusted_private_chat' });
  await alice.waitForEvent(messageFrom(room, env.botUserId, /management room/), { timeoutMs: 30_000 });
  const plain = await alice.sendEvent(room, 'm.room.message', { msgtype: 'm.text', body: 'help' });
  const { stored, decryptedFrom } = reader(aliceCrypto, room);
  await aliceCrypto.track([env.botUserId]);
  const told = await decryptedFrom(env.botUserId, /not delivered: this bridge accepts only encrypted messages/);
  const relates = (told.decrypted.event.content['m.relates_to'] ?? told.event.content['m.relates_to']) as { 'm.in_reply_to'?: { event_id?: string } } | undefined;
  assert.equal(relates?.['m.in_reply_to']?.event_id, plain);
  await aliceCrypto.sendEncrypted(room, [aliceCrypto.userId, env.botUserId], { msgtype: 'm.text', body: 'help' });
  await decryptedFrom(env.botUserId, /\bwhoami\b/);
  const fromBot = (await stored()).filter((e) => e.sender === env.botUserId && e.state_key === undefined);
  assert.deepEqual([...new Set(fromBot.map((e) => e.type))], ['m.room.encrypted']);
  // the plaintext `help` got the refusal, not the list: one answer to the encrypted one only
  assert.equal((await Promise.all(fromBot.map((e) => aliceCrypto.decrypt(room, e, wasm.TrustRequirement.Untrusted))))
    .filter((d) => /\bwhoami\b/.test(String(d.event.content.body))).length, 1);
});
