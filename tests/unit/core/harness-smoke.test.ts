// The core harness itself: a remote text reaches the fake homeserver once and is acked;
// a Matrix message from the owner reaches the fake network. Everything else in
// tests/unit/core builds on these two paths working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeSession, startCoreHarness } from '../../helpers/core-harness';
import type { E164 } from '../../../src/network/phone';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;

test('core harness: a message crosses each way', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  const delivery = await session.deliver(FakeSession.text(SAM, 'r1', 'hello'));
  assert.equal(delivery.acked(), 1);
  const portal = await h.store.portals.get(ALICE, SAM);
  assert.ok(portal?.roomId);
  const texts = h.matrix.inRoom(portal.roomId).filter((e) => e.asUser === h.matrix.ghostUserId(SAM)).map((e) => e.content.body);
  assert.deepEqual(texts, ['hello']);

  await h.core.matrixIntake.onEvent({
    type: 'm.room.message', event_id: '$m1', room_id: portal.roomId, sender: ALICE,
    content: { msgtype: 'm.text', body: 'hi back' }, origin_server_ts: Date.now(),
  });
  await h.core.queue.idle();
  const bodies = session.sent.map((s) => (s.content.kind === 'message' && s.content.parts[0]?.type === 'text' ? s.content.parts[0].body : undefined));
  assert.deepEqual(bodies, ['hi back']);
});
