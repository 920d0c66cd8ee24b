import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HOP_TRAIL_KEY,
  matrixToRemoteTrail,
  remoteToMatrixTrail,
  toContentHopTrail,
  type HopTrail,
  type TrailFacts,
} from '../../../src/security';
import { parseContent } from '../../../src/protocol/validate';
import { readHopTrail } from '../../helpers/hop-trail-reader';

function facts(contactE2ee: boolean | null, matrixRoomEncrypted: boolean, extra: Partial<TrailFacts> = {}): TrailFacts {
  return { contactProvider: contactE2ee === null ? null : contactE2ee ? 'native' : 'plainchat', contactE2ee, matrixRoomEncrypted, identityVerified: false, ...extra };
}

function expectedRemoteToMatrix(e2ee: boolean | null, roomEncrypted: boolean): HopTrail {
  const signal = e2ee === true;
  return {
    version: 1,
    direction: 'remote_to_matrix',
    end_to_end: false,
    hops: [
      { from: 'remote_device', to: 'interop_network', protection: signal ? 'signal_e2e' : 'transport', plaintext_at: signal ? [] : ['interop_network'] },
      { from: 'interop_network', to: 'bridge', protection: signal ? 'signal_e2e' : 'transport', plaintext_at: ['bridge'] },
      { from: 'bridge', to: 'homeserver', protection: 'transport', plaintext_at: ['homeserver'] },
      { from: 'homeserver', to: 'matrix_clients', protection: 'transport', plaintext_at: ['matrix_clients'] },
    ],
    plaintext_exposed_at: signal ? ['bridge', 'homeserver'] : ['interop_network', 'bridge', 'homeserver'],
    contact: { provider: e2ee === null ? null : e2ee ? 'native' : 'plainchat', e2ee, identity_verified: false },
    matrix_room_encrypted: roomEncrypted,
  };
}

function expectedMatrixToRemote(e2ee: boolean | null, roomEncrypted: boolean): HopTrail {
  const signal = e2ee === true;
  return {
    version: 1,
    direction: 'matrix_to_remote',
    end_to_end: false,
    hops: [
      { from: 'matrix_clients', to: 'homeserver', protection: 'transport', plaintext_at: ['homeserver'] },
      { from: 'homeserver', to: 'bridge', protection: 'transport', plaintext_at: ['bridge'] },
      { from: 'bridge', to: 'interop_network', protection: signal ? 'signal_e2e' : 'transport', plaintext_at: signal ? [] : ['interop_network'] },
      { from: 'interop_network', to: 'remote_device', protection: signal ? 'signal_e2e' : 'transport', plaintext_at: ['remote_device'] },
    ],
    plaintext_exposed_at: signal ? ['homeserver', 'bridge'] : ['homeserver', 'bridge', 'interop_network'],
    contact: { provider: e2ee === null ? null : e2ee ? 'native' : 'plainchat', e2ee, identity_verified: false },
    matrix_room_encrypted: roomEncrypted,
  };
}

for (const e2ee of [true, false, null]) {
  for (const roomEncrypted of [false, true]) {
    test(`remote → Matrix trail: contact e2ee ${e2ee}, room encrypted ${roomEncrypted}`, () => {
      assert.deepEqual(remoteToMatrixTrail(facts(e2ee, roomEncrypted)), expectedRemoteToMatrix(e2ee, roomEncrypted));
    });
    test(`Matrix → remote trail: contact e2ee ${e2ee}, room encrypted ${roomEncrypted}`, () => {
      assert.deepEqual(matrixToRemoteTrail(facts(e2ee, roomEncrypted)), expectedMatrixToRemote(e2ee, roomEncrypted));
    });
  }
}

test('the spelled-out remote → Matrix trail of an e2ee contact, verified, unencrypted room', () => {
  const trail = remoteToMatrixTrail({ contactProvider: 'native', contactE2ee: true, matrixRoomEncrypted: false, identityVerified: true });
  assert.deepEqual(trail, {
    version: 1,
    direction: 'remote_to_matrix',
    end_to_end: false,
    hops: [
      { from: 'remote_device', to: 'interop_network', protection: 'signal_e2e', plaintext_at: [] },
      { from: 'interop_network', to: 'bridge', protection: 'signal_e2e', plaintext_at: ['bridge'] },
      { from: 'bridge', to: 'homeserver', protection: 'transport', plaintext_at: ['homeserver'] },
      { from: 'homeserver', to: 'matrix_clients', protection: 'transport', plaintext_at: ['matrix_clients'] },
    ],
    plaintext_exposed_at: ['bridge', 'homeserver'],
    contact: { provider: 'native', e2ee: true, identity_verified: true },
    matrix_room_encrypted: false,
  });
});

test('a plain-http link to the homeserver is marked unprotected on that hop', () => {
  const inbound = remoteToMatrixTrail(facts(true, false, { homeserverLink: 'none' }));
  assert.deepEqual(inbound.hops[2], { from: 'bridge', to: 'homeserver', protection: 'none', plaintext_at: ['homeserver'] });
  const outbound = matrixToRemoteTrail(facts(true, false, { homeserverLink: 'none' }));
  assert.deepEqual(outbound.hops[1], { from: 'homeserver', to: 'bridge', protection: 'none', plaintext_at: ['bridge'] });
  // the clients' own link is not the bridge's to know: it stays transport
  assert.equal(inbound.hops[3].protection, 'transport');
});

test('toContentHopTrail maps every hop to the protocol names and passes content validation', () => {
  const entries = toContentHopTrail(matrixToRemoteTrail(facts(true, false)));
  assert.deepEqual(entries, [
    { from: 'matrix-client', to: 'homeserver', protection: 'transport', plaintextAt: ['homeserver'] },
    { from: 'homeserver', to: 'bridge', protection: 'transport', plaintextAt: ['bridge'] },
    { from: 'bridge', to: 'interop-network', protection: 'e2e-signal', plaintextAt: [] },
    { from: 'interop-network', to: 'remote-device', protection: 'e2e-signal', plaintextAt: ['remote-device'] },
  ]);
  const parsed = parseContent({
    kind: 'message', messageId: 'm-1', timestamp: 1, hopTrail: entries,
    parts: [{ type: 'text', body: 'hi', format: 'plain' }],
  });
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  assert.deepEqual(parsed.content.hopTrail, entries);
});

test('toContentHopTrail of a plaintext contact names the network as a plaintext place', () => {
  const entries = toContentHopTrail(matrixToRemoteTrail(facts(false, false)));
  assert.deepEqual(entries.slice(2), [
    { from: 'bridge', to: 'interop-network', protection: 'transport', plaintextAt: ['interop-network'] },
    { from: 'interop-network', to: 'remote-device', protection: 'transport', plaintextAt: ['remote-device'] },
  ]);
});

test('a checker reading trails back finds well-formed ones and rejects missing or malformed ones', () => {
  const trail = matrixToRemoteTrail(facts(null, true));
  assert.equal(HOP_TRAIL_KEY, 'org.interop_bridge.hop_trail');
  assert.deepEqual(readHopTrail({ body: 'x', [HOP_TRAIL_KEY]: trail }), trail);
  assert.equal(readHopTrail({ body: 'x' }), undefined);
  assert.equal(readHopTrail(null), undefined);
  assert.equal(readHopTrail('text'), undefined);
  const broken = (patch: Record<string, unknown>) => ({ [HOP_TRAIL_KEY]: { ...structuredClone(trail), ...patch } });
  assert.equal(readHopTrail(broken({ version: 2 })), undefined);
  assert.equal(readHopTrail(broken({ direction: 'sideways' })), undefined);
  assert.equal(readHopTrail(broken({ hops: [] })), undefined);
  assert.equal(readHopTrail(broken({ hops: [{ from: 'bridge', to: 'moon', protection: 'transport', plaintext_at: [] }] })), undefined);
  assert.equal(readHopTrail(broken({ hops: [{ from: 'bridge', to: 'homeserver', protection: 'tls', plaintext_at: [] }] })), undefined);
  assert.equal(readHopTrail(broken({ plaintext_exposed_at: ['bridge', 'cloud'] })), undefined);
  assert.equal(readHopTrail(broken({ contact: { provider: 1, e2ee: true, identity_verified: false } })), undefined);
  assert.equal(readHopTrail(broken({ end_to_end: 'no' })), undefined);
});

test('an encrypted room the bridge encrypts itself: Megolm on both homeserver hops, plaintext only on the bridge', () => {
  const r2m = remoteToMatrixTrail(facts(true, true, { bridgeEncrypts: true }));
  assert.deepEqual(r2m.hops.slice(2), [
    { from: 'bridge', to: 'homeserver', protection: 'megolm_e2e', plaintext_at: [] },
    { from: 'homeserver', to: 'matrix_clients', protection: 'megolm_e2e', plaintext_at: ['matrix_clients'] },
  ]);
  assert.deepEqual(r2m.plaintext_exposed_at, ['bridge']);
  const m2r = matrixToRemoteTrail(facts(false, true, { bridgeEncrypts: true }));
  assert.deepEqual(m2r.hops.slice(0, 2), [
    { from: 'matrix_clients', to: 'homeserver', protection: 'megolm_e2e', plaintext_at: [] },
    { from: 'homeserver', to: 'bridge', protection: 'megolm_e2e', plaintext_at: ['bridge'] },
  ]);
  // a contact without end-to-end encryption still exposes the network
  assert.deepEqual(m2r.plaintext_exposed_at, ['bridge', 'interop_network']);
  // the same room without the bridge's own encryption: the homeserver reads everything
  assert.deepEqual(remoteToMatrixTrail(facts(true, true)).plaintext_exposed_at, ['bridge', 'homeserver']);
});
