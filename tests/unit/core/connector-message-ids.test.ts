// A network that assigns message IDs of its own (SendResult.messageId): core maps the
// network's ID to the Matrix event, so what the network later says about that message (a
// reply, a read status, a reaction) finds it, and an edit from Matrix names the network's ID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeSession, startCoreHarness } from '../../helpers/core-harness';
import { fromMatrix, text, waitFor } from '../../helpers/outbox-driver';
import type { E164 } from '../../../src/network/remote-network';
import type { Content } from '../../../src/protocol/content';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;

test("the network's own message ID leads back to the Matrix event, both ways", async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  session.assignsIds = true;
  await session.deliver(FakeSession.text(SAM, 'r-sam-1', 'hello from sam'));
  const roomId = String((await h.store.portals.get(ALICE, SAM))?.roomId);
  const mine = await fromMatrix(h, roomId, ALICE, 'm.room.message', text('hi sam'));
  await waitFor('sent', () => session.sent.length >= 1);
  await h.core.queue.idle();

  // Sam answers the network's ID for Alice's message
  const reply = FakeSession.text(SAM, 'r-sam-2', 'hi alice');
  (reply.content as Content & { inReplyTo?: string }).inReplyTo = 'net-1';
  await session.deliver(reply);
  const replyEvent = h.matrix.events.find((e) => e.content.body === 'hi alice');
  assert.equal((replyEvent?.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id: string } })?.['m.in_reply_to']?.event_id, mine);

  await session.deliver({ ...FakeSession.text(SAM, 'x', 'x'), content: { kind: 'reaction', messageId: 'r-sam-3', timestamp: Date.now(), target: 'net-1', emoji: '👍' } });
  const reaction = h.matrix.events.find((e) => e.eventType === 'm.reaction');
  assert.equal((reaction?.content['m.relates_to'] as { event_id?: string })?.event_id, mine);

  await session.handler.onStatus(SAM, 'read', ['net-1'], async () => undefined);
  const receipt = h.matrix.calls.filter(([m]) => m === 'sendReadReceipt').at(-1);
  assert.equal(receipt?.[1][2], mine);

  // Alice edits her message: the edit names the network's ID
  await fromMatrix(h, roomId, ALICE, 'm.room.message', {
    msgtype: 'm.text', body: '* hi sam!', 'm.new_content': { msgtype: 'm.text', body: 'hi sam!' },
    'm.relates_to': { rel_type: 'm.replace', event_id: mine },
  });
  await waitFor('the edit', () => session.sent.length >= 2);
  const edit = session.sent[1].content;
  assert.ok(edit.kind === 'message' && edit.replaces === 'net-1', JSON.stringify(edit));
});

test('a read status that comes while the send is still being recorded finds the message: the ID map is written right after the send', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r-sam-1', 'hello from sam'));
  const roomId = String((await h.store.portals.get(ALICE, SAM))?.roomId);
  // what follows a send (learning the contact's key, the room's security state) is slow
  let release = () => undefined as void;
  session.identityGate = new Promise<void>((resolve) => (release = resolve));
  const mine = await fromMatrix(h, roomId, ALICE, 'm.room.message', text('read me'));
  await waitFor('sent', () => session.sent.length >= 1);
  await waitFor('the key looked up', () => session.calls.some(([m]) => m === 'identity'));
  // Sam reads it at once, before the bridge is done with the send
  await session.handler.onStatus(SAM, 'read', [session.sent[0].content.messageId], async () => undefined);
  const receipt = h.matrix.calls.filter(([m]) => m === 'sendReadReceipt').at(-1);
  assert.equal(receipt?.[1][2], mine, 'the receipt marks the message Sam read');
  release();
  await h.core.queue.idle();
});
