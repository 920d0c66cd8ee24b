// Core against fake connectors that describe their own hops (RemoteNetwork.describeHops):
// the trail of a message both ways, its plaintext_exposed_at, the room's security summary and
// the portal's notice follow the connector's description, without changes to core. A
// description core cannot use (or a throw) costs a warning, once, and the message is still
// bridged with the most cautious trail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeNetwork, FakeSession, startCoreHarness, type CoreHarness } from '../../helpers/core-harness';
import { fromMatrix, text, waitFor } from '../../helpers/outbox-driver';
import { readHopTrail } from '../../helpers/hop-trail-reader';
import { HOP_TRAIL_KEY, SECURITY_STATE_TYPE, type HopTrail, type SecuritySummary } from '../../../src/security';
import type { NetworkHopQuery, NetworkHops } from '../../../src/network/network-hops';
import type { E164 } from '../../../src/network/phone';
import type { HopTrailEntry } from '../../../src/protocol/content';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;

/** a network whose hops are whatever `describe` says; it keeps the questions core asked */
class DescribingNetwork extends FakeNetwork {
  readonly queries: NetworkHopQuery[] = [];
  constructor(private readonly describe: (q: NetworkHopQuery) => unknown) {
    super();
  }
  describeHops(query: NetworkHopQuery): NetworkHops {
    this.queries.push(query);
    return this.describe(query) as NetworkHops;
  }
}

/** remote phone → an SMS relay that reads everything → the bridge */
const plaintextRelay = (): NetworkHops => ({
  device: { place: 'remote_phone', label: "contact's phone" },
  via: [{ place: 'sms_relay', label: 'SMS relay', plaintext: true }],
  links: ['transport', 'transport'],
});

/** remote phone → a push relay → the chat servers → the bridge, Signal-encrypted throughout */
const encryptedRelays = (): NetworkHops => ({
  device: { place: 'remote_phone', label: "contact's phone" },
  via: [{ place: 'push_relay', label: 'push relay', plaintext: false }, { place: 'chat_servers', label: 'chat servers', plaintext: false }],
  links: ['signal_e2e', 'signal_e2e', 'signal_e2e'],
});

/** Sam writes to Alice, then Alice answers: the Matrix event, the room and what left for Sam. */
async function exchange(t: { after(fn: () => Promise<void>): void }, network: FakeNetwork) {
  const h = await startCoreHarness({ network });
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r1', 'hello'));
  await h.core.queue.idle();
  const roomId = String((await h.store.portals.get(ALICE, SAM))?.roomId);
  const ghostEvent = h.matrix.inRoom(roomId).find((e) => e.content.body === 'hello');
  assert.ok(ghostEvent, 'the message is bridged');
  assert.ok(readHopTrail(ghostEvent.content), 'a checker reads the trail as well-formed');
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('hi Sam'));
  await waitFor('the answer on the network', () => session.sent.length >= 1);
  return {
    h, roomId,
    inbound: ghostEvent.content[HOP_TRAIL_KEY] as HopTrail,
    outbound: session.sent[0].content.hopTrail as HopTrailEntry[],
    summary: summaryOf(h, roomId),
    portalNotice: h.matrix.inRoom(roomId).map((e) => String(e.content.body)).find((b) => b.startsWith('🔓')) ?? '',
  };
}

/** the room's summary as set last (at creation, or by a later update) */
function summaryOf(h: CoreHarness, roomId: string): SecuritySummary {
  const later = h.matrix.state.get(`${roomId}|${SECURITY_STATE_TYPE}|`);
  const initial = h.matrix.rooms.at(-1)?.initialState.find(([type]) => type === SECURITY_STATE_TYPE)?.[2];
  return (later ?? initial) as unknown as SecuritySummary;
}

test('a network with a relay that reads everything: trail, summary and notice name the relay', async (t) => {
  const network = new DescribingNetwork(plaintextRelay);
  const { inbound, outbound, summary, portalNotice } = await exchange(t, network);
  assert.deepEqual(inbound.hops.slice(0, 2), [
    { from: 'remote_phone', to: 'sms_relay', protection: 'transport', plaintext_at: ['sms_relay'] },
    { from: 'sms_relay', to: 'bridge', protection: 'transport', plaintext_at: ['bridge'] },
  ]);
  assert.deepEqual(inbound.plaintext_exposed_at, ['sms_relay', 'bridge', 'homeserver']);
  assert.deepEqual(outbound.slice(2), [
    { from: 'bridge', to: 'sms-relay', protection: 'transport', plaintextAt: ['sms-relay'] },
    { from: 'sms-relay', to: 'remote-phone', protection: 'transport', plaintextAt: ['remote-phone'] },
  ]);
  assert.deepEqual(summary.plaintext_exposed_at, ['sms_relay', 'bridge', 'homeserver']);
  assert.match(portalNotice, /• the SMS relay, which the messages cross unencrypted on their way/);
  assert.doesNotMatch(portalNotice, /the network itself cannot read them/, 'no claim of end-to-end encryption the description denies');
  assert.ok(network.queries.some((q) => q.provider === 'native' && q.e2ee === true), 'core asked with what it knows of the contact');
});

test('a network with an extra encrypted relay: two network hops, nothing exposed on the network', async (t) => {
  const { inbound, outbound, summary, portalNotice } = await exchange(t, new DescribingNetwork(encryptedRelays));
  assert.deepEqual(inbound.hops.slice(0, 3).map((h) => [h.from, h.to, h.protection, h.plaintext_at]), [
    ['remote_phone', 'push_relay', 'signal_e2e', []],
    ['push_relay', 'chat_servers', 'signal_e2e', []],
    ['chat_servers', 'bridge', 'signal_e2e', ['bridge']],
  ]);
  assert.deepEqual(inbound.plaintext_exposed_at, ['bridge', 'homeserver']);
  assert.deepEqual(outbound.map((h) => h.to), ['homeserver', 'bridge', 'chat-servers', 'push-relay', 'remote-phone']);
  assert.deepEqual(summary.plaintext_exposed_at, ['bridge', 'homeserver']);
  assert.match(portalNotice, /messages are end-to-end encrypted \(Signal protocol\): the network itself cannot read them/);
  assert.doesNotMatch(portalNotice, /relay|servers/);
});

for (const [what, describe] of [
  ['an unknown protection', () => ({ ...encryptedRelays(), links: ['signal_e2e', 'quantum', 'signal_e2e'] })],
  ['an intermediary named like the homeserver', () => ({ ...plaintextRelay(), via: [{ place: 'homeserver', label: 'relay', plaintext: false }] })],
  ['a throw', () => { throw new Error('hops table missing'); }],
  ['a field that throws when read', () => ({ ...encryptedRelays(), get via() { throw new Error('not loaded'); } })],
] as [string, (q: NetworkHopQuery) => unknown][]) {
  test(`a connector whose description has ${what}: the message is bridged, the trail reads plaintext at the network, one warning`, async (t) => {
    const { h, inbound, summary } = await exchange(t, new DescribingNetwork(describe));
    assert.deepEqual(inbound.hops.slice(0, 2), [
      { from: 'remote_device', to: 'remote_network', protection: 'transport', plaintext_at: ['remote_network'] },
      { from: 'remote_network', to: 'bridge', protection: 'transport', plaintext_at: ['bridge'] },
    ]);
    assert.deepEqual(summary.plaintext_exposed_at, ['remote_network', 'bridge', 'homeserver']);
    const warnings = h.log.lines.filter((l) => l.level === 'warn' && l.text.includes('connector fake'));
    assert.equal(warnings.length, 1, 'warned once, not once per trail');
    assert.match(warnings[0].text, /read the network as seeing every message in plaintext/);
  });
}

test('a connector that does not describe its hops: one relay under its own name, encrypted as the message was', async (t) => {
  const { inbound, summary } = await exchange(t, new FakeNetwork());
  assert.deepEqual(inbound.hops.slice(0, 2).map((h) => [h.from, h.to, h.protection]), [
    ['remote_device', 'remote_network', 'signal_e2e'], ['remote_network', 'bridge', 'signal_e2e'],
  ]);
  assert.deepEqual(summary.plaintext_exposed_at, ['bridge', 'homeserver']);
});
