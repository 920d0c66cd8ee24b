// Reactions (and taking them back), replies, edits and deletes, both ways, end
// to end (real Synapse, real gateway, the real bridge, a simulated remote
// person). Each relation must point at the right message on the other side,
// which only works if the bridge's message-ID map is right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from '../../src/interop-client/types';
import type { MatrixEvent, SeenEvent } from '../helpers/matrix-client';
import { matrixUser, messageFrom, remoteText, simReceivesText, startChatFromRemote, startInteropEnv } from '../helpers/interop-env';

const ALICE_PHONE = '+4915112345678';
const SAM_PHONE = '+14155552671';

const inPortal = (portal: string, sender: string, type: string) => (e: SeenEvent) =>
  e.roomId === portal && e.section === 'timeline' && e.event.type === type && e.event.sender === sender;

const relatesTo = (e: MatrixEvent) => (e.content['m.relates_to'] ?? {}) as Record<string, unknown>;
/** Room v11 moved `redacts` into content; accept either place. */
const redactsOf = (e: MatrixEvent) => e.redacts ?? (e.content.redacts as string | undefined);

test('reactions, replies, edits and deletes, both directions', async (t) => {
  const env = await startInteropEnv();
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const { sim: sam, ghost, portal } = await startChatFromRemote(env, alice, ALICE_PHONE, SAM_PHONE);

  // One message each way to relate to: Sam's (remote ID known) and Alice's (Matrix ID known).
  let mark = await alice.catchUp();
  const samMsgId = await sam.sendText(ALICE_PHONE, 'sam says something');
  const samEvent = (await alice.waitForEvent(messageFrom(portal, ghost, 'sam says something'), { after: mark })).event;
  const aliceEventId = await alice.sendText(portal, 'alice says something');
  const aliceRemote: IncomingMessage = await simReceivesText(sam, ALICE_PHONE, 'alice says something');
  const aliceMsgId = aliceRemote.content.messageId;

  await t.test('remote reaction → m.annotation on the right Matrix event', async () => {
    mark = await alice.catchUp();
    await sam.react(ALICE_PHONE, aliceMsgId, '👍');
    const ev = (await alice.waitForEvent(inPortal(portal, ghost, 'm.reaction'), { after: mark })).event;
    assert.deepEqual(relatesTo(ev), { rel_type: 'm.annotation', event_id: aliceEventId, key: '👍' });
  });

  await t.test('remote un-react → the reaction is redacted', async () => {
    const reaction = alice.seen.find(inPortal(portal, ghost, 'm.reaction'))!.event;
    mark = await alice.catchUp();
    await sam.react(ALICE_PHONE, aliceMsgId, '');
    const ev = (await alice.waitForEvent(inPortal(portal, ghost, 'm.room.redaction'), { after: mark })).event;
    assert.equal(redactsOf(ev), reaction.event_id);
  });

  await t.test('remote reply → m.in_reply_to the right Matrix event', async () => {
    mark = await alice.catchUp();
    await sam.reply(ALICE_PHONE, aliceMsgId, 'replying to alice');
    const ev = (await alice.waitForEvent(messageFrom(portal, ghost, /replying to alice/), { after: mark })).event;
    assert.deepEqual(relatesTo(ev)['m.in_reply_to'], { event_id: aliceEventId });
  });

  await t.test('remote edit → m.replace with m.new_content', async () => {
    mark = await alice.catchUp();
    await sam.edit(ALICE_PHONE, samMsgId, 'sam says something else');
    const ev = (await alice.waitForEvent(messageFrom(portal, ghost, /something else/), { after: mark })).event;
    assert.equal(relatesTo(ev).rel_type, 'm.replace');
    assert.equal(relatesTo(ev).event_id, samEvent.event_id);
    assert.equal((ev.content['m.new_content'] as Record<string, unknown>).body, 'sam says something else');
  });

  await t.test('Matrix reaction → remote reaction to the right message', async () => {
    const before = sam.received.length;
    await alice.sendEvent(portal, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: samEvent.event_id, key: '❤️' } });
    const got = await sam.waitFor('message', (m) => sam.received.indexOf(m) >= before && m.content.kind === 'reaction');
    assert.deepEqual(got.content.kind === 'reaction' && [got.content.target, got.content.emoji], [samMsgId, '❤️']);
  });

  await t.test('Matrix redaction of a reaction → remote un-react', async () => {
    const reactionId = (await alice.request<{ chunk: MatrixEvent[] }>('GET',
      `/_matrix/client/v1/rooms/${encodeURIComponent(portal)}/relations/${encodeURIComponent(samEvent.event_id!)}/m.annotation`))
      .chunk.find((e) => e.sender === alice.userId)?.event_id;
    assert.ok(reactionId);
    const before = sam.received.length;
    await alice.redact(portal, reactionId);
    const got = await sam.waitFor('message', (m) => sam.received.indexOf(m) >= before && m.content.kind === 'reaction');
    assert.deepEqual(got.content.kind === 'reaction' && [got.content.target, got.content.emoji], [samMsgId, '']);
  });

  await t.test('Matrix reply → remote inReplyTo the right message, without a quoted fallback', async () => {
    await alice.sendEvent(portal, 'm.room.message', {
      msgtype: 'm.text', body: 'my answer', 'm.relates_to': { 'm.in_reply_to': { event_id: samEvent.event_id } },
    });
    const got = await simReceivesText(sam, ALICE_PHONE, 'my answer');
    assert.equal(got.content.kind === 'message' && got.content.inReplyTo, samMsgId);
  });

  await t.test('Matrix edit → remote message that replaces the original', async () => {
    const before = sam.received.length;
    await alice.sendEvent(portal, 'm.room.message', {
      msgtype: 'm.text', body: '* alice corrects herself',
      'm.new_content': { msgtype: 'm.text', body: 'alice corrects herself' },
      'm.relates_to': { rel_type: 'm.replace', event_id: aliceEventId },
    });
    const got = await sam.waitFor('message', (m) => sam.received.indexOf(m) >= before && m.content.kind === 'message' && m.content.replaces !== undefined);
    assert.equal(got.content.kind === 'message' && got.content.replaces, aliceMsgId);
    assert.equal(remoteText(got.content), 'alice corrects herself');
    const shown = sam.history(ALICE_PHONE).find((h) => h.messageId === aliceMsgId);
    assert.equal(shown?.edited, true, "the contact's phone shows the original as edited");
  });

  await t.test('Matrix redaction of a message → remote delete', async () => {
    const before = sam.received.length;
    await alice.redact(portal, aliceEventId, 'oops');
    const got = await sam.waitFor('message', (m) => sam.received.indexOf(m) >= before && m.content.kind === 'message'
      && m.content.replaces === aliceMsgId && m.content.parts.length === 0);
    assert.equal(got.sender.phone, ALICE_PHONE);
  });

  await t.test('remote delete → redaction of the Matrix event', async () => {
    mark = await alice.catchUp();
    await sam.delete(ALICE_PHONE, samMsgId);
    const ev = (await alice.waitForEvent((e) => inPortal(portal, ghost, 'm.room.redaction')(e) && redactsOf(e.event) === samEvent.event_id,
      { after: mark })).event;
    assert.equal(redactsOf(ev), samEvent.event_id);
  });
});
