// A connector describes its network's hops (src/network/network-hops.ts) and the trail is
// assembled from that description plus core's Matrix-side hops. The interop connector's
// description gives the trails the bridge always wrote, byte for byte; other descriptions
// (a relay that reads everything, an extra encrypted relay) shape the trail, its
// plaintext_exposed_at and the room's summary; a description core cannot use is read as
// plaintext at the network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkNetworkHops, matrixToRemoteTrail, networkExposure, REFERENCE_NETWORK_PLACES, remoteToMatrixTrail, securitySummary,
  toContentHopTrail, type TrailFacts,
} from '../../../src/security';
import { INTEROP_PLACES, interopNetworkHops } from '../../../src/network/interop/interop-hops';
import type { NetworkHops } from '../../../src/network/network-hops';
import { parseContent } from '../../../src/protocol/validate';

const facts = (e2ee: boolean | null, extra: Partial<TrailFacts> = {}): TrailFacts => ({
  contactProvider: e2ee === null ? null : e2ee ? 'native' : 'plainchat', contactE2ee: e2ee, matrixRoomEncrypted: false, identityVerified: true, ...extra,
});

/** remote phone → an SMS relay that reads everything → bridge */
const PLAINTEXT_RELAY: NetworkHops = {
  device: { place: 'remote_phone', label: "contact's phone" },
  via: [{ place: 'sms_relay', label: 'SMS relay', plaintext: true }],
  links: ['transport', 'transport'],
};

/** remote phone → a push relay → the network's servers → bridge, Signal-encrypted throughout */
const ENCRYPTED_RELAYS: NetworkHops = {
  device: { place: 'remote_phone', label: "contact's phone" },
  via: [
    { place: 'push_relay', label: 'push relay', plaintext: false },
    { place: 'chat_servers', label: 'chat servers', plaintext: false },
  ],
  links: ['signal_e2e', 'signal_e2e', 'signal_e2e'],
};

test('the interop connector describes itself with the reference places', () => {
  assert.deepEqual(INTEROP_PLACES, REFERENCE_NETWORK_PLACES);
  assert.deepEqual(checkNetworkHops(interopNetworkHops({ provider: 'native', e2ee: true })), []);
});

for (const e2ee of [true, false, null]) {
  for (const extra of [{}, { matrixRoomEncrypted: true }, { matrixRoomEncrypted: true, bridgeEncrypts: true }, { homeserverLink: 'none' as const }]) {
    test(`the interop description writes the same trail JSON as before: e2ee ${e2ee}, ${JSON.stringify(extra)}`, () => {
      const before = facts(e2ee, extra);
      const described = { ...before, network: interopNetworkHops({ provider: before.contactProvider, e2ee }) };
      assert.equal(JSON.stringify(remoteToMatrixTrail(described)), JSON.stringify(remoteToMatrixTrail(before)));
      assert.equal(JSON.stringify(matrixToRemoteTrail(described)), JSON.stringify(matrixToRemoteTrail(before)));
      assert.equal(JSON.stringify(toContentHopTrail(matrixToRemoteTrail(described))), JSON.stringify(toContentHopTrail(matrixToRemoteTrail(before))));
      const contact = { phone: '+4915112345678', provider: before.contactProvider, e2ee, identityFingerprint: null, verified: false };
      const roomEncrypted = before.matrixRoomEncrypted;
      assert.equal(
        JSON.stringify(securitySummary(roomEncrypted, contact, before.bridgeEncrypts, described.network)),
        JSON.stringify(securitySummary(roomEncrypted, contact, before.bridgeEncrypts)),
      );
    });
  }
}

test('a relay that reads everything: in the trail both ways, in plaintext_exposed_at and in the summary', () => {
  const inbound = remoteToMatrixTrail({ ...facts(true), network: PLAINTEXT_RELAY });
  assert.deepEqual(inbound.hops.slice(0, 2), [
    { from: 'remote_phone', to: 'sms_relay', protection: 'transport', plaintext_at: ['sms_relay'] },
    { from: 'sms_relay', to: 'bridge', protection: 'transport', plaintext_at: ['bridge'] },
  ]);
  assert.deepEqual(inbound.plaintext_exposed_at, ['sms_relay', 'bridge', 'homeserver']);
  const outbound = matrixToRemoteTrail({ ...facts(true), network: PLAINTEXT_RELAY });
  assert.deepEqual(outbound.hops.slice(2), [
    { from: 'bridge', to: 'sms_relay', protection: 'transport', plaintext_at: ['sms_relay'] },
    { from: 'sms_relay', to: 'remote_phone', protection: 'transport', plaintext_at: ['remote_phone'] },
  ]);
  assert.deepEqual(outbound.plaintext_exposed_at, ['homeserver', 'bridge', 'sms_relay'], 'the device is an endpoint, not an exposure');
  const summary = securitySummary(false, { phone: '+4915112345678', provider: 'native', e2ee: true, identityFingerprint: null, verified: false }, false, PLAINTEXT_RELAY);
  assert.deepEqual(summary.plaintext_exposed_at, ['sms_relay', 'bridge', 'homeserver']);
  assert.deepEqual(networkExposure(PLAINTEXT_RELAY), { readers: ['SMS relay'], endToEnd: false });
});

test('an extra encrypted relay is a hop of its own and exposes nothing', () => {
  const inbound = remoteToMatrixTrail({ ...facts(true), network: ENCRYPTED_RELAYS, matrixRoomEncrypted: true, bridgeEncrypts: true });
  assert.deepEqual(inbound.hops, [
    { from: 'remote_phone', to: 'push_relay', protection: 'signal_e2e', plaintext_at: [] },
    { from: 'push_relay', to: 'chat_servers', protection: 'signal_e2e', plaintext_at: [] },
    { from: 'chat_servers', to: 'bridge', protection: 'signal_e2e', plaintext_at: ['bridge'] },
    { from: 'bridge', to: 'homeserver', protection: 'megolm_e2e', plaintext_at: [] },
    { from: 'homeserver', to: 'matrix_clients', protection: 'megolm_e2e', plaintext_at: ['matrix_clients'] },
  ]);
  assert.deepEqual(inbound.plaintext_exposed_at, ['bridge']);
  const outbound = matrixToRemoteTrail({ ...facts(true), network: ENCRYPTED_RELAYS });
  assert.deepEqual(outbound.hops.slice(2).map((h) => [h.from, h.to, h.plaintext_at]), [
    ['bridge', 'chat_servers', []], ['chat_servers', 'push_relay', []], ['push_relay', 'remote_phone', ['remote_phone']],
  ]);
  assert.deepEqual(outbound.plaintext_exposed_at, ['homeserver', 'bridge']);
  assert.deepEqual(networkExposure(ENCRYPTED_RELAYS), { readers: [], endToEnd: true });
});

test('the content trail names a network\'s places kebab-case, and the protocol accepts it', () => {
  const hopTrail = toContentHopTrail(matrixToRemoteTrail({ ...facts(true), network: ENCRYPTED_RELAYS }));
  assert.deepEqual(hopTrail.slice(2), [
    { from: 'bridge', to: 'chat-servers', protection: 'e2e-signal', plaintextAt: [] },
    { from: 'chat-servers', to: 'push-relay', protection: 'e2e-signal', plaintextAt: [] },
    { from: 'push-relay', to: 'remote-phone', protection: 'e2e-signal', plaintextAt: ['remote-phone'] },
  ]);
  const checked = parseContent({ kind: 'message', messageId: 'm1', timestamp: 1, hopTrail, parts: [{ type: 'text', body: 'hi', format: 'plain' }] });
  assert.ok(checked.ok);
});

const broken: [string, unknown, RegExp][] = [
  ['not an object', null, /not an object/],
  ['an unknown protection', { ...PLAINTEXT_RELAY, links: ['transport', 'rot13'] }, /link 2 has an unknown protection/],
  ["Matrix's own protection", { ...ENCRYPTED_RELAYS, links: ['signal_e2e', 'megolm_e2e', 'signal_e2e'] }, /link 2 has an unknown protection/],
  ['no place between device and bridge', { ...PLAINTEXT_RELAY, via: [], links: ['transport'] }, /no place between/],
  ['an empty place name', { ...PLAINTEXT_RELAY, via: [{ place: '', label: 'relay', plaintext: true }] }, /place 1 has no usable place name/],
  ['an empty label', { ...PLAINTEXT_RELAY, device: { place: 'remote_phone', label: ' ' } }, /the device has no usable label/],
  ['an intermediary named like the homeserver', { ...PLAINTEXT_RELAY, via: [{ place: 'homeserver', label: 'relay', plaintext: true }] }, /Matrix-side place/],
  ['an intermediary named like the Matrix clients in content', { ...PLAINTEXT_RELAY, via: [{ place: 'matrix_client', label: 'relay', plaintext: true }] }, /Matrix-side place/],
  ['a device named bridge', { ...PLAINTEXT_RELAY, device: { place: 'bridge', label: 'phone' } }, /Matrix-side place/],
  ['a name used twice', { ...PLAINTEXT_RELAY, via: [{ place: 'remote_phone', label: 'relay', plaintext: true }] }, /used twice/],
  ['a link missing', { ...PLAINTEXT_RELAY, links: ['transport'] }, /not one link per hop/],
  ['plaintext left unsaid', { ...PLAINTEXT_RELAY, via: [{ place: 'sms_relay', label: 'SMS relay' }] }, /does not say whether it reads/],
  ['a transport link into a place said not to read', { ...PLAINTEXT_RELAY, via: [{ place: 'sms_relay', label: 'SMS relay', plaintext: false }] }, /said not to read the content/],
];

for (const [what, description, problem] of broken) {
  test(`a description with ${what} is refused and the trail reads plaintext at the network`, () => {
    assert.match(checkNetworkHops(description).join('; '), problem);
    const trail = remoteToMatrixTrail({ ...facts(true), network: description as NetworkHops });
    assert.deepEqual(trail.hops.slice(0, 2), [
      { from: 'remote_device', to: 'remote_network', protection: 'transport', plaintext_at: ['remote_network'] },
      { from: 'remote_network', to: 'bridge', protection: 'transport', plaintext_at: ['bridge'] },
    ]);
    assert.deepEqual(trail.plaintext_exposed_at, ['remote_network', 'bridge', 'homeserver']);
  });
}
