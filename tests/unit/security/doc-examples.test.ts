/** docs/security.md shows full example events; they must be what the code produces (and the
 *  hop trail docs/interop-protocol.md shows must be the one the bridge sends). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PublicKey } from '@signalapp/libsignal-client';
import { matrixToRemoteTrail, remoteToMatrixTrail, securitySummary, toContentHopTrail, HOP_TRAIL_KEY, SECURITY_STATE_TYPE, SECURITY_SUMMARY_KEY } from '../../../src/security';
import { parseContent } from '../../../src/protocol/validate';
import { readHopTrail } from '../../helpers/hop-trail-reader';
import { FakeSession, startCoreHarness } from '../../helpers/core-harness';
import { keyFingerprint } from '../../../src/interop-client/signal/sessions';
import type { E164 } from '../../../src/network/phone';

// compiled to dist/tests/unit/security: the repository root is four levels up
const docs = join(__dirname, '..', '..', '..', '..', 'docs');
const doc = readFileSync(join(docs, 'security.md'), 'utf8');
const examples = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]) as Record<string, unknown>);
const aliceFacts = { contactProvider: 'native', contactE2ee: true, matrixRoomEncrypted: false, identityVerified: true };
const protocolSpec = readFileSync(join(docs, 'interop-protocol.md'), 'utf8');
const specExamples = [...protocolSpec.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]) as Record<string, unknown>);

test('the doc has the four JSON examples', () => {
  assert.equal(examples.length, 4);
});

test('the remote → Matrix example carries exactly the trail the code builds', () => {
  const event = examples[0] as { type: string; content: Record<string, unknown> };
  assert.equal(event.type, 'm.room.message');
  assert.ok(HOP_TRAIL_KEY in event.content);
  assert.deepEqual(readHopTrail(event.content), remoteToMatrixTrail(aliceFacts));
});

test('the Matrix → remote example is valid content with the trail the code builds', () => {
  const parsed = parseContent(examples[1]);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  assert.deepEqual(examples[1].hopTrail, toContentHopTrail(matrixToRemoteTrail(aliceFacts)));
});

test('the room state examples hold the summary the code builds, with the fingerprint of the test vectors', async () => {
  const vectors = JSON.parse(readFileSync(join(docs, 'test-vectors.json'), 'utf8')) as {
    identities: { alice: { phone: string; identityKeyHex: string } };
  };
  const alice = vectors.identities.alice;
  const fingerprint = await keyFingerprint(PublicKey.deserialize(Uint8Array.from(Buffer.from(alice.identityKeyHex, 'hex'))));
  const summary = securitySummary(false, { phone: alice.phone, provider: 'native', e2ee: true, identityFingerprint: fingerprint, verified: true });
  const bridge = examples[2] as { type: string; content: Record<string, unknown> };
  assert.equal(bridge.type, 'm.bridge');
  assert.deepEqual(bridge.content[SECURITY_SUMMARY_KEY], summary);
  const state = examples[3] as { type: string; state_key: string; content: unknown };
  assert.equal(state.type, SECURITY_STATE_TYPE);
  assert.equal(state.state_key, '');
  assert.deepEqual(state.content, summary);
});

test('the hop trails in the protocol spec are the one the bridge sends, as shown here', () => {
  const withTrail = specExamples.filter((e) => 'hopTrail' in e);
  assert.ok(withTrail.length >= 1, 'the protocol spec shows a hopTrail');
  const sent = toContentHopTrail(matrixToRemoteTrail(aliceFacts));
  for (const content of withTrail) assert.deepEqual(content.hopTrail, sent);
  assert.deepEqual(examples[1].hopTrail, withTrail[0].hopTrail);
  // what the spec says of a contact without end-to-end encryption
  const plain = toContentHopTrail(matrixToRemoteTrail({ ...aliceFacts, contactE2ee: false }));
  assert.deepEqual(plain.slice(0, 2), sent.slice(0, 2));
  assert.deepEqual(plain.slice(2).map((h) => h.protection), ['transport', 'transport']);
  assert.deepEqual(plain[2].plaintextAt, ['interop-network']);
});

test('the room state examples name the senders the bridge uses: the ghost at creation, the bot after', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const contact = '+4915112345678' as E164;
  const session = await h.login('@alice:example.org', '+33612345678' as E164);
  await session.deliver(FakeSession.text(contact, 'r1', 'See you at 8'));
  await h.core.queue.idle();
  // the first state comes with the room, which the contact's ghost creates
  const [room] = h.matrix.rooms;
  assert.ok(room, 'a portal room was created');
  assert.deepEqual(room.initialState.map(([type]) => type).sort(), ['m.bridge', SECURITY_STATE_TYPE, 'uk.half-shot.bridge'].sort());
  const bridge = examples[2] as { sender: string; content: { bridgebot: string } };
  const state = examples[3] as { sender: string };
  assert.equal(room.ghost, h.matrix.ghostUserId(contact));
  assert.equal(bridge.sender, room.ghost);
  assert.equal(state.sender, room.ghost);
  assert.equal(bridge.content.bridgebot, h.matrix.botUserId);
  // a later change is written by the bot
  const roomId = (await h.store.portals.get('@alice:example.org', contact))?.roomId;
  assert.ok(roomId);
  await h.store.contacts.setVerified('@alice:example.org', contact, true);
  await h.core.security.updateRoomState('@alice:example.org', contact);
  const writers = h.matrix.calls.filter(([m, args]) => m === 'setState' && args[1] === roomId).map(([, args]) => args[0]);
  assert.ok(writers.length > 0, 'the change was written');
  assert.deepEqual([...new Set(writers)], [h.matrix.botUserId]);
});
