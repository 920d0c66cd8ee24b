// A message delayed longer than bridge.delivery.delayed_after_ms is shown as delayed in the
// room: one com.beeper.message_send_status PENDING (once, not per retry), cleared by SUCCESS
// when it finally goes. A message that goes at once gets no status at all; one that fails
// for good gets FAIL_PERMANENT next to the notice (tested in outbox-delivery.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCoreHarness, unreachable } from '../../helpers/core-harness';
import { fromMatrix, statuses, text, waitFor } from '../../helpers/outbox-driver';
import type { E164 } from '../../../src/network/remote-network';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;

test('outbox: a delayed message shows one PENDING status, then SUCCESS when it goes', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  const { roomId } = await h.core.portals.ensure(ALICE, SAM);
  session.fail('send', Infinity, unreachable);
  const first = await fromMatrix(h, roomId, ALICE, 'm.room.message', text('delayed 1'));
  const second = await fromMatrix(h, roomId, ALICE, 'm.room.message', text('delayed 2'));
  // delayed_after_ms is 50 in the harness; the head is retried every ≤ 20 ms meanwhile
  await waitFor('both shown as delayed', () => statuses(h, first).length === 1 && statuses(h, second).length === 1);
  await waitFor('many more retries', () => session.count('send') >= 30);
  for (const id of [first, second]) {
    const [pending] = statuses(h, id);
    assert.equal(pending.content.status, 'PENDING');
    assert.equal(pending.asUser, h.matrix.botUserId);
    assert.equal(pending.roomId, roomId);
    assert.deepEqual(pending.content['m.relates_to'], { rel_type: 'm.reference', event_id: id });
    assert.match(String(pending.content.message), /Not delivered to the contact yet/);
  }
  assert.equal(statuses(h, first).length, 1, 'once, not per retry');
  session.heal();
  await waitFor('both sent', () => session.sent.length >= 2);
  await waitFor('both cleared', () => statuses(h, second).length === 2);
  assert.deepEqual(statuses(h, first).map((e) => e.content.status), ['PENDING', 'SUCCESS']);
  assert.deepEqual(statuses(h, second).map((e) => e.content.status), ['PENDING', 'SUCCESS']);
});

test('outbox: a message that goes at once gets no status event', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  const { roomId } = await h.core.portals.ensure(ALICE, SAM);
  const id = await fromMatrix(h, roomId, ALICE, 'm.room.message', text('quick'));
  await waitFor('sent', () => session.sent.length >= 1);
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.deepEqual(statuses(h, id), []);
});

test('outbox: a delay status the homeserver cannot take now is shown later, still once', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  const { roomId } = await h.core.portals.ensure(ALICE, SAM);
  session.fail('send', Infinity, unreachable);
  h.matrix.fail('sendEvent', 3, unreachable);
  const id = await fromMatrix(h, roomId, ALICE, 'm.room.message', text('delayed'));
  await waitFor('the delay shown', () => statuses(h, id).length === 1, 3000);
  assert.ok(h.log.lines.some((l) => l.level === 'warn' && /could not show outbox job \d+ as delayed/.test(l.text)));
  session.heal();
  await waitFor('cleared', () => statuses(h, id).length === 2);
  assert.deepEqual(statuses(h, id).map((e) => e.content.status), ['PENDING', 'SUCCESS']);
});
