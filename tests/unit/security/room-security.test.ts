import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  securitySummary,
  summaryChanged,
  type ContactSecurity,
} from '../../../src/security';

const alice: ContactSecurity = { phone: '+4915112345678', provider: 'native', e2ee: true, identityFingerprint: '3f2a 9c1e 77b0 4d21 0a9e 5c3b 1d8f 6e42', verified: false };

test('summary of an e2ee contact in an unencrypted room', () => {
  assert.deepEqual(securitySummary(false, alice), {
    version: 1,
    matrix_room_encrypted: false,
    bridge_can_read_room: true,
    bridge_decrypts_remote: true,
    contact: { phone: '+4915112345678', provider: 'native', e2ee: true, identity_key_fingerprint: '3f2a 9c1e 77b0 4d21 0a9e 5c3b 1d8f 6e42', verified: false },
    plaintext_exposed_at: ['bridge', 'homeserver'],
  });
});

test('summary of a plaintext contact in an encrypted room: the bridge cannot read the room, the network can read the messages', () => {
  const bob: ContactSecurity = { phone: '+447700900123', provider: 'plainchat', e2ee: false, identityFingerprint: null, verified: false };
  assert.deepEqual(securitySummary(true, bob), {
    version: 1,
    matrix_room_encrypted: true,
    bridge_can_read_room: false,
    bridge_decrypts_remote: true,
    contact: { phone: '+447700900123', provider: 'plainchat', e2ee: false, identity_key_fingerprint: null, verified: false },
    plaintext_exposed_at: ['interop_network', 'bridge', 'homeserver'],
  });
});

test('summary of a contact whose encryption is unknown counts the network as exposed', () => {
  const unknown: ContactSecurity = { phone: '+33612345678', provider: null, e2ee: null, identityFingerprint: null, verified: false };
  assert.deepEqual(securitySummary(false, unknown).plaintext_exposed_at, ['interop_network', 'bridge', 'homeserver']);
});

test('summaryChanged: first summary, equal summaries, and each field that changes', () => {
  const base = securitySummary(false, alice);
  assert.equal(summaryChanged(undefined, base), true);
  assert.equal(summaryChanged(base, securitySummary(false, { ...alice })), false);
  assert.equal(summaryChanged(base, securitySummary(true, alice)), true);
  assert.equal(summaryChanged(base, securitySummary(false, { ...alice, verified: true })), true);
  assert.equal(summaryChanged(base, securitySummary(false, { ...alice, identityFingerprint: '0000 1111 2222 3333 4444 5555 6666 7777' })), true);
  assert.equal(summaryChanged(base, securitySummary(false, { ...alice, provider: 'other' })), true);
  assert.equal(summaryChanged(base, securitySummary(false, { ...alice, e2ee: null })), true);
  assert.equal(summaryChanged(base, securitySummary(false, { ...alice, phone: '+4915100000000' })), true);
});

test('with end-to-bridge encryption an encrypted room is read by the bridge and the homeserver holds only ciphertext', () => {
  const summary = securitySummary(true, alice, true);
  assert.equal(summary.bridge_can_read_room, true);
  assert.deepEqual(summary.plaintext_exposed_at, ['bridge']);
  // turned on but the room is not encrypted: nothing changes, the homeserver reads it
  assert.deepEqual(securitySummary(false, alice, true).plaintext_exposed_at, ['bridge', 'homeserver']);
});
