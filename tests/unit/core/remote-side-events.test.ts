// The other remote events: a held message is held once however often its receive is retried
// (and the count shown is right); the notice for an unreadable message carries the trail of
// what really happened; read statuses are retried like messages and acked only once bridged;
// an identity-change notice survives a failing homeserver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeSession, startCoreHarness } from '../../helpers/core-harness';
import type { E164 } from '../../../src/network/phone';
import { readHopTrail } from '../../helpers/hop-trail-reader';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;

test('a held message whose notice fails once is held once, and the count says 1', async (t) => {
  const h = await startCoreHarness({ adjust: (c) => { c.security.hold_on_key_change = true; } });
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r0', 'hello'));
  await h.store.contacts.keyChanged(ALICE, SAM, 'new-fingerprint');
  h.matrix.fail('sendEvent', 1);
  const first = await session.deliver(FakeSession.text(SAM, 'r1', 'held one'));
  assert.equal(first.acked(), 1);
  assert.equal(await h.store.held.count(ALICE, SAM), 1);
  // the same message handed over again (a redelivery) is not held a second time
  await session.deliver(FakeSession.text(SAM, 'r1', 'held one'));
  await session.deliver(FakeSession.text(SAM, 'r2', 'held two'));
  assert.equal(await h.store.held.count(ALICE, SAM), 2);
  const counts = h.matrix.events.map((e) => String(e.content.body)).filter((b) => b.startsWith('⏸️')).map((b) => b.split(' from')[0]);
  assert.deepEqual(counts, ['⏸️ 1 message', '⏸️ 2 messages']);
});

test('the notice for an unreadable message that arrived Signal-encrypted says so in its trail', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  let acks = 0;
  await session.handler.onUnreadable(
    { from: SAM, reason: 'invalid_content: parts missing', serverTimestamp: Date.now(), encrypted: true, sender: { provider: 'native', e2ee: true, bridged: false }, messageId: 'u1' },
    async () => void acks++,
  );
  assert.equal(acks, 1);
  const notice = h.matrix.events.find((e) => /could not be read/.test(String(e.content.body)));
  const trail = readHopTrail(notice?.content);
  assert.ok(trail);
  assert.equal(trail.contact.provider, 'native');
  assert.equal(trail.contact.e2ee, true);
  assert.equal(trail.hops[0].protection, 'signal_e2e');
  assert.ok(!trail.plaintext_exposed_at.includes('interop_network'), 'the network never had plaintext');
});

test('a read status is retried while the homeserver is down and acked once bridged', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r0', 'hello'));
  await h.core.matrixIntake.onEvent({
    type: 'm.room.message', event_id: '$mine', room_id: String((await h.store.portals.get(ALICE, SAM))?.roomId), sender: ALICE,
    content: { msgtype: 'm.text', body: 'hi' }, origin_server_ts: Date.now(),
  });
  await h.core.queue.idle();
  h.matrix.fail('sendReadReceipt', 3);
  let acks = 0;
  await session.handler.onStatus(SAM, 'read', ['$mine'], async () => void acks++);
  assert.equal(acks, 1);
  assert.equal(h.matrix.count('sendReadReceipt'), 4);
});

test('an identity change notice is retried while the homeserver is down', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r0', 'hello'));
  h.matrix.fail('sendEvent', 2);
  await session.handler.onIdentityChanged(SAM, { safetyNumber: '12345 67890', fingerprint: 'fp' });
  assert.ok(h.matrix.events.some((e) => String(e.content.body).includes('12345 67890')));
});

test('read statuses that wait in line behind an outage end as one receipt, for the newest message; each is acked', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r0', 'hello'));
  const roomId = String((await h.store.portals.get(ALICE, SAM))?.roomId);
  for (const [i, id] of ['$m1', '$m2', '$m3'].entries()) {
    await h.core.matrixIntake.onEvent({
      type: 'm.room.message', event_id: id, room_id: roomId, sender: ALICE, content: { msgtype: 'm.text', body: `mine ${i}` }, origin_server_ts: Date.now() + i,
    });
  }
  await h.core.queue.idle();
  h.matrix.fail('sendReadReceipt', 2);
  let acks = 0;
  // the phone reads them one by one while the first receipt is still failing
  await Promise.all(['$m1', '$m2', '$m3'].map((id) => session.handler.onStatus(SAM, 'read', [id], async () => void acks++)));
  assert.equal(acks, 3);
  const receipts = h.matrix.calls.filter(([m]) => m === 'sendReadReceipt').map(([, args]) => args[2]);
  // $m1 was tried while failing (the newer statuses were not there yet), then only $m3 went out
  assert.equal(receipts.at(-1), '$m3', receipts.join(','));
  assert.ok(!receipts.includes('$m2'), receipts.join(','));
});

test("a phone's repeated 'typing' reaches the homeserver once per refresh; 'stopped' always", async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r0', 'hello'));
  for (let i = 0; i < 5; i++) await session.handler.onTyping(SAM, true);
  await session.handler.onTyping(SAM, false);
  await session.handler.onTyping(SAM, false);
  const typing = h.matrix.calls.filter(([m]) => m === 'setTyping').map(([, args]) => args[2]);
  assert.deepEqual(typing, [true, false]);
});
