// Only the owner's own messages and reactions can be changed on the network. A redaction
// of the contact's message or reaction in Matrix stays on Matrix (the room is told), an
// edit of the contact's message is refused with a notice; nothing reaches the network as
// if the contact had deleted or rewritten their own words. The owner's own still go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeSession, startCoreHarness } from '../../helpers/core-harness';
import { fromMatrix, notices, text, waitFor } from '../../helpers/outbox-driver';
import type { E164 } from '../../../src/network/remote-network';
import type { Content } from '../../../src/protocol/content';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;

async function setUp(t: { after: (fn: () => Promise<void>) => void }) {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r-sam-1', 'hello from sam'));
  const roomId = (await h.store.portals.get(ALICE, SAM))?.roomId;
  assert.ok(roomId);
  const theirs = (await h.store.messages.byRemoteId(ALICE, SAM, 'r-sam-1'))[0]?.eventId;
  assert.ok(theirs);
  const before = h.matrix.events.length;
  return { h, session, roomId, theirs, said: () => notices(h, roomId, before) };
}

test("outbox: redacting the contact's message in Matrix sends nothing to the network", async (t) => {
  const { h, session, roomId, theirs, said } = await setUp(t);
  await fromMatrix(h, roomId, ALICE, 'm.room.redaction', { redacts: theirs });
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('marker'));
  await waitFor('the marker', () => session.sent.length >= 1);
  await h.core.queue.idle();
  assert.equal(session.sent.length, 1, 'only the marker went');
  assert.match(said().join('\n'), /Removed on Matrix only/);
});

test("outbox: editing the contact's message is refused with a notice, nothing sent", async (t) => {
  const { h, session, roomId, theirs, said } = await setUp(t);
  await fromMatrix(h, roomId, ALICE, 'm.room.message', {
    msgtype: 'm.text', body: '* rewritten', 'm.new_content': { msgtype: 'm.text', body: 'rewritten' },
    'm.relates_to': { rel_type: 'm.replace', event_id: theirs },
  });
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('marker'));
  await waitFor('the marker', () => session.sent.length >= 1);
  await h.core.queue.idle();
  assert.equal(session.sent.length, 1, 'only the marker went');
  assert.match(said().join('\n'), /Only your own messages can be edited/);
});

test("outbox: redacting the contact's reaction sends no un-react", async (t) => {
  const { h, session, roomId, said } = await setUp(t);
  // the contact reacts to Alice's message; Alice removes that reaction in Matrix
  const mine = await fromMatrix(h, roomId, ALICE, 'm.room.message', text('mine'));
  await waitFor('mine sent', () => session.sent.length >= 1);
  await h.core.queue.idle();
  const reaction: Content = { kind: 'reaction', messageId: 'r-sam-react', timestamp: Date.now(), target: mine, emoji: '👍' };
  await session.deliver({ ...FakeSession.text(SAM, 'x', 'x'), content: reaction });
  const reactionEvent = (await h.store.reactions.bySender(ALICE, SAM, mine, SAM))[0]?.eventId;
  assert.ok(reactionEvent, 'the contact’s reaction was bridged');
  await fromMatrix(h, roomId, ALICE, 'm.room.redaction', { redacts: reactionEvent });
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('marker'));
  await waitFor('the marker', () => session.sent.length >= 2);
  await h.core.queue.idle();
  assert.deepEqual(session.sent.map((s) => s.content.kind), ['message', 'message'], 'no reaction went out');
  assert.match(said().join('\n'), /Removed on Matrix only/);
});

test('outbox: the owner still edits and deletes their own messages and reactions', async (t) => {
  const { h, session, roomId, theirs } = await setUp(t);
  const mine = await fromMatrix(h, roomId, ALICE, 'm.room.message', text('typo'));
  const react = await fromMatrix(h, roomId, ALICE, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: theirs, key: '👍' } });
  await fromMatrix(h, roomId, ALICE, 'm.room.message', {
    msgtype: 'm.text', body: '* fixed', 'm.new_content': { msgtype: 'm.text', body: 'fixed' }, 'm.relates_to': { rel_type: 'm.replace', event_id: mine },
  });
  await fromMatrix(h, roomId, ALICE, 'm.room.redaction', { redacts: react });
  await fromMatrix(h, roomId, ALICE, 'm.room.redaction', { redacts: mine });
  await waitFor('all five', () => session.sent.length >= 5);
  const [, reaction, edit, unreact, del] = session.sent.map((s) => s.content);
  assert.ok(reaction.kind === 'reaction' && reaction.target === 'r-sam-1' && reaction.emoji === '👍');
  assert.ok(edit.kind === 'message' && edit.replaces === mine && edit.parts.length === 1);
  assert.ok(unreact.kind === 'reaction' && unreact.emoji === '');
  assert.ok(del.kind === 'message' && del.replaces === mine && del.parts.length === 0);
});
