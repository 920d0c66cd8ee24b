// Read receipts and typing both ways, end to end (real Synapse pushing
// ephemeral events to the appservice, real gateway signals, the real bridge, a
// simulated remote person).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SeenEvent } from '../helpers/matrix-client';
import { matrixUser, messageFrom, simReceivesText, startChatFromRemote, startInteropEnv } from '../helpers/interop-env';

const ALICE_PHONE = '+4915112345678';
const SAM_PHONE = '+14155552671';

/** An m.receipt in the portal saying `userId` read `eventId`. */
const readReceipt = (portal: string, eventId: string, userId: string) => (e: SeenEvent) => {
  if (e.roomId !== portal || e.section !== 'ephemeral' || e.event.type !== 'm.receipt') return false;
  const receipts = e.event.content[eventId] as Record<string, Record<string, unknown>> | undefined;
  return receipts?.['m.read']?.[userId] !== undefined;
};

const typingUsers = (portal: string, check: (ids: string[]) => boolean) => (e: SeenEvent) =>
  e.roomId === portal && e.section === 'ephemeral' && e.event.type === 'm.typing'
  && check((e.event.content.user_ids as string[] | undefined) ?? []);

test('read receipts and typing, both directions', async (t) => {
  const env = await startInteropEnv();
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const { sim: sam, ghost, portal } = await startChatFromRemote(env, alice, ALICE_PHONE, SAM_PHONE);

  await t.test('a bridged message → the contact sees it delivered; a Matrix read receipt → read', async () => {
    const mark = await alice.catchUp();
    const samMsgId = await sam.sendText(ALICE_PHONE, 'did you read this?');
    const ev = (await alice.waitForEvent(messageFrom(portal, ghost, 'did you read this?'), { after: mark })).event;
    const tick = await sam.waitFor('status', (s) => s.status === 'delivered' && s.messageIds.includes(samMsgId), 20_000);
    assert.equal(tick.sender.phone, ALICE_PHONE);
    await alice.sendReceipt(portal, ev.event_id!);
    const status = await sam.waitFor('status', (s) => s.status === 'read' && s.messageIds.includes(samMsgId), 20_000);
    assert.equal(status.sender.phone, ALICE_PHONE);
    assert.equal(sam.history(ALICE_PHONE).find((m) => m.messageId === samMsgId)?.status, 'read');
  });

  await t.test("the contact marks read → the ghost's m.read receipt on the Matrix event", async () => {
    const eventId = await alice.sendText(portal, 'please read me');
    await simReceivesText(sam, ALICE_PHONE, 'please read me');
    const mark = await alice.catchUp();
    const ids = await sam.markRead(ALICE_PHONE);
    assert.ok(ids.length >= 1);
    await alice.waitForEvent(readReceipt(portal, eventId, ghost), { after: mark, timeoutMs: 20_000 });
  });

  await t.test('the contact types → the ghost shows in m.typing; stops → it is gone', async () => {
    let mark = await alice.catchUp();
    await sam.typing(ALICE_PHONE, 'started');
    await alice.waitForEvent(typingUsers(portal, (ids) => ids.includes(ghost)), { after: mark, timeoutMs: 20_000 });
    mark = alice.mark();
    await sam.typing(ALICE_PHONE, 'stopped');
    await alice.waitForEvent(typingUsers(portal, (ids) => !ids.includes(ghost)), { after: mark, timeoutMs: 20_000 });
  });

  await t.test('the Matrix user types → the contact gets typing started, then stopped', async () => {
    const before = sam.typingEvents.length;
    await alice.setTyping(portal, true);
    const started = await sam.waitFor('typing', (e) => sam.typingEvents.indexOf(e) >= before && e.state === 'started', 20_000);
    assert.equal(started.sender.phone, ALICE_PHONE);
    await alice.setTyping(portal, false);
    await sam.waitFor('typing', (e) => sam.typingEvents.indexOf(e) >= before && e.state === 'stopped', 20_000);
  });
});
