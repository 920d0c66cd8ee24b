// An encrypted message whose room key reaches the bridge after the message (a client's
// to-device messages and its room event come in different appservice transactions), end to
// end: the real Synapse (MSC2409/MSC3202), the real gateway, the real bridge and a simulated
// remote person; the Matrix user writes through a crypto-wasm client of the test's own
// (tests/helpers/crypto-test-client.ts) that sends the room event first and the key only
// once the bridge has handled the event. The message still reaches the contact, and the
// bridge tells no one it could not decrypt it; the same across a restart of the bridge
// between the message and its key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE_PHONE, portalFromContact, startEncryptedWorld } from '../helpers/encrypted-env';
import { reader } from '../helpers/encrypted-room-reader';
import { simReceivesText } from '../helpers/interop-env';

const SAM_PHONE = '+14155552671';

/** Polls `check` (a condition, not a duration) until it holds; throws after `timeoutMs`. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('a message whose room key comes after it is bridged once the key arrives, also across a restart, and nobody is told it failed', { timeout: 240_000 }, async (t) => {
  // a time-out no step of this test comes near: a notice could only come from the old "tell at once"
  const world = await startEncryptedWorld(t, (c) => { c.security.encryption = 'default'; c.security.undecryptable_timeout_seconds = 3600; });
  const { env, aliceCrypto } = world;
  const { sam, ghost, portal } = await portalFromContact(world, SAM_PHONE, 'hello, encrypted');
  const { stored, decryptedFrom, decryptedBodies } = reader(aliceCrypto, portal);
  await aliceCrypto.track([ghost, env.botUserId]);
  await decryptedFrom(ghost, 'hello, encrypted'); // the ghost's device exists and the room works
  const members = [aliceCrypto.userId, ghost, env.botUserId];
  const handled = (eventId: string) => async () => await env.bridgeEnv.bridge.store.transactions.isEventHandled(eventId);

  const first = await aliceCrypto.sendEncryptedKeyLater(portal, members, { msgtype: 'm.text', body: 'the key comes later' });
  await until('the bridge handled the message before its key was sent', handled(first.eventId));
  assert.equal(await env.bridgeEnv.bridge.store.awaitingKeys.count(), 1, 'it waits for its key');
  await first.shareKey();
  await simReceivesText(sam, ALICE_PHONE, 'the key comes later', 30_000);
  assert.equal(await env.bridgeEnv.bridge.store.awaitingKeys.count(), 0);

  // the bridge stops between the message and its key
  const second = await aliceCrypto.sendEncryptedKeyLater(portal, members, { msgtype: 'm.text', body: 'across a restart' });
  await until('the bridge handled the second message', handled(second.eventId));
  await env.bridgeEnv.stopBridge();
  await env.bridgeEnv.startBridge();
  assert.equal(await env.bridgeEnv.bridge.store.awaitingKeys.count(), 1, 'still waiting after the restart');
  await second.shareKey();
  await simReceivesText(sam, ALICE_PHONE, 'across a restart', 30_000);
  assert.equal(await env.bridgeEnv.bridge.store.awaitingKeys.count(), 0);

  // and a plain message after both, so the bot had every chance to speak: it never said "could not decrypt"
  await aliceCrypto.sendEncrypted(portal, members, { msgtype: 'm.text', body: 'all in order' });
  await simReceivesText(sam, ALICE_PHONE, 'all in order', 30_000);
  const fromBot = await decryptedBodies(env.botUserId);
  assert.ok(fromBot.length > 0, 'the bot\'s notices decrypt (it spoke in the room)');
  assert.deepEqual(fromBot.filter((b) => /could not decrypt/.test(b)), [], 'no undecryptable notice');
  const replies = (await stored()).filter((e) => e.sender === env.botUserId && e.type === 'm.room.message');
  assert.deepEqual(replies, [], 'and nothing from the bot in plaintext');
});
