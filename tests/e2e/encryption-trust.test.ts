// security.trust end to end (the real Synapse, gateway and bridge, encryption: default): Alice
// has a cross-signed device and a second, unsigned one (a new login she never verified).
// Under the default sharing (cross-signed devices when the user has cross-signing) the ghost's
// room key reaches the signed device only: the unsigned one gets it withheld and cannot
// decrypt; with `all_devices` it decrypts. With `accept_messages_from: cross_signed_devices`
// a message from the unsigned device is not bridged and Alice is told in the room, while one
// from the signed device reaches the contact.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import { CryptoTestClient } from '../helpers/crypto-test-client';
import { ALICE_PHONE, portalFromContact, startEncryptedWorld } from '../helpers/encrypted-env';
import { reader } from '../helpers/encrypted-room-reader';
import type { MatrixEvent } from '../helpers/matrix-client';
import type { TrustConfig } from '../../src/config/types';
import { simReceivesText } from '../helpers/interop-env';

const SAM_PHONE = '+14155552671';

/** Alice with a cross-signed device and an unsigned one, and a portal Sam's first message opened. */
async function aliceWithTwoDevices(t: TestContext, trust: Partial<TrustConfig>) {
  const world = await startEncryptedWorld(t, (c) => { c.security.encryption = 'default'; Object.assign(c.security.trust, trust); });
  const { env, aliceCrypto: signed } = world;
  // logged in after cross-signing and never verified: a device her identity did not sign
  const unsigned = await CryptoTestClient.login(env.bridgeEnv.hs.url, 'alice', 'alice-password');
  t.after(() => unsigned.close());
  const { sam, ghost, portal } = await portalFromContact(world, SAM_PHONE, 'hello, encrypted');
  const fromSigned = reader(signed, portal);
  await signed.track([ghost, env.botUserId]);
  const hello = await fromSigned.decryptedFrom(ghost, 'hello, encrypted');
  return { env, sam, ghost, portal, signed, unsigned, hello: hello.event, fromSigned };
}

/** Syncs `device` until `event` decrypts (its text) or its key is withheld from it (the withheld code). */
async function outcomeFor(device: CryptoTestClient, portal: string, event: MatrixEvent): Promise<{ text?: string; withheld?: string }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await device.sync(500);
    try {
      const decrypted = await device.decrypt(portal, event, wasm.TrustRequirement.Untrusted);
      return { text: String(decrypted.event.content.body) };
    } catch (error) {
      if (!(error instanceof wasm.MegolmDecryptionError)) throw error;
      if (error.maybe_withheld) return { withheld: error.maybe_withheld };
    }
    if (Date.now() > deadline) throw new Error('the key neither came nor was withheld');
  }
}

test('default trust: the room key goes to the cross-signed device only; an unsigned device\'s message is refused under cross_signed_devices', { timeout: 240_000 }, async (t) => {
  const { env, sam, ghost, portal, signed, unsigned, hello, fromSigned } = await aliceWithTwoDevices(t, { accept_messages_from: 'cross_signed_devices' });
  const outcome = await outcomeFor(unsigned, portal, hello);
  assert.equal(outcome.text, undefined, 'the unsigned device cannot read the ghost\'s message');
  assert.match(outcome.withheld ?? '', /unverified devices/, 'its key was withheld as unverified (m.unverified)');

  await unsigned.sendEncrypted(portal, [unsigned.userId, ghost, env.botUserId], { msgtype: 'm.text', body: 'from my unverified laptop' });
  const told = await fromSigned.decryptedFrom(env.botUserId, /could not decrypt a message you sent/);
  assert.match(String(told.decrypted.event.content.body), /a device you have not verified/);

  const fine = 'from my verified phone';
  await signed.sendEncrypted(portal, [signed.userId, ghost, env.botUserId], { msgtype: 'm.text', body: fine });
  await simReceivesText(sam, ALICE_PHONE, fine, 30_000);
  // in order: had the unverified message been bridged, it would have reached Sam first
  assert.ok(!sam.received.some((m) => m.content.kind === 'message' && JSON.stringify(m.content).includes('unverified laptop')),
    'the unsigned device\'s message was not delivered');
});

test('share_room_keys_with: all_devices: the unsigned device reads the ghost\'s message too', { timeout: 240_000 }, async (t) => {
  const { portal, unsigned, hello } = await aliceWithTwoDevices(t, { share_room_keys_with: 'all_devices' });
  assert.deepEqual(await outcomeFor(unsigned, portal, hello), { text: 'hello, encrypted' });
});
