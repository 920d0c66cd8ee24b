// security.trust mapped onto crypto-wasm's own mechanisms: the key-sharing strategy of a
// share (composed for "cross-signed devices when the user has cross-signing, else all") and
// the trust requirement of decryption. The end-to-end proof against Synapse, with a user's
// cross-signed and unsigned devices, is tests/e2e/encryption-trust.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import { loadCryptoWasm } from '../../../../src/matrix/crypto/wasm';
import { decryptionSettings, sharingStrategy } from '../../../../src/matrix/crypto/trust';

/** A machine that knows a cross-signing identity for the users in `crossSigned` only. */
function machineKnowing(crossSigned: string[]): wasm.OlmMachine {
  return {
    getIdentity: async (user: wasm.UserId) => (crossSigned.includes(user.toString()) ? { free: () => undefined } : undefined),
  } as unknown as wasm.OlmMachine;
}

test('cross_signed_if_set_up: identity-based when every member has cross-signing, all devices when one has none', async () => {
  await loadCryptoWasm();
  const members = ['@alice:hs', '@ghost:hs'];
  const all = await sharingStrategy(machineKnowing(members), members, 'cross_signed_if_set_up');
  assert.ok(all.eq(wasm.CollectStrategy.identityBasedStrategy()), 'everyone cross-signed: only cross-signed devices');
  const one = await sharingStrategy(machineKnowing(['@ghost:hs']), members, 'cross_signed_if_set_up');
  assert.ok(one.eq(wasm.CollectStrategy.allDevices()), 'Alice has no cross-signing: all devices');
});

test('all_devices and cross_signed_only do not depend on the identities', async () => {
  await loadCryptoWasm();
  const members = ['@alice:hs'];
  assert.ok((await sharingStrategy(machineKnowing(members), members, 'all_devices')).eq(wasm.CollectStrategy.allDevices()));
  assert.ok((await sharingStrategy(machineKnowing([]), members, 'cross_signed_only')).eq(wasm.CollectStrategy.identityBasedStrategy()));
});

test('accept_messages_from: any device is Untrusted, cross-signed devices is CrossSignedOrLegacy', async () => {
  await loadCryptoWasm();
  assert.equal(decryptionSettings('any_device').sender_device_trust_requirement, wasm.TrustRequirement.Untrusted);
  assert.equal(decryptionSettings('cross_signed_devices').sender_device_trust_requirement, wasm.TrustRequirement.CrossSignedOrLegacy);
});
