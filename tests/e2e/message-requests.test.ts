// Message requests end to end (real Synapse, the real gateway, the real bridge, simulated
// remote people): a first message from a number Alice never wrote to opens no room, only one
// notice in her bridge chat with an inert preview; `accept` opens the chat with what was held,
// in order, and only then does anything go back to the sender; `decline` leaves no room, and
// the gateway saw nothing from the bridge to the sender: no status, no typing, no look-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceptPortalInvite, botReply, ghostId, loginMatrixUser, matrixUser, messageFrom, newSim, startInteropEnv,
} from '../helpers/interop-env';
import type { SeenEvent } from '../helpers/matrix-client';

const ALICE_PHONE = '+4915112345678';
const SAM_PHONE = '+14155552671';
const CAROL_PHONE = '+33612345678';

const bodyOf = (e: SeenEvent) => String(e.event.content.body ?? '');

test('message requests: held until accepted, nothing back to the sender before', async (t) => {
  const env = await startInteropEnv();
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const { managementRoom } = await loginMatrixUser(env, alice, ALICE_PHONE);
  const bridgeProvider = env.config.network.provider_id;
  const requests = env.gateway.requests ?? [];
  /** what the bridge asked the gateway about `phone` or sent to it, by request type */
  const fromBridgeAbout = (phone: string) => requests
    .filter((r) => r.provider === bridgeProvider)
    .filter((r) => { const p = r.params as { to?: string; phone?: string }; return p.to === phone || p.phone === phone; })
    .map((r) => r.type);
  const invitedBy = (ghost: string, after: number) => alice.seen.slice(after)
    .filter((e) => e.section === 'invite' && e.event.type === 'm.room.member' && e.event.sender === ghost);
  const notice = (phone: string) => messageFrom(managementRoom, env.botUserId, new RegExp(`^📨 Message request from ${phone.replace('+', '\\+')}`));

  await t.test('accept: the room opens with everything held, in order; only then a read status', async () => {
    const sam = await newSim(env, SAM_PHONE, 'native', { displayName: 'Sam' });
    const ghost = ghostId(env, SAM_PHONE);
    const mark = await alice.catchUp();
    for (const text of ['one', 'two', 'three']) await sam.sendText(ALICE_PHONE, text);
    const shown = await alice.waitForEvent(notice('+1 415 555 2671'), { after: mark, timeoutMs: 30_000 });
    assert.match(bodyOf(shown), /provider "native" \(end-to-end encrypted up to this bridge\)/);
    assert.match(bodyOf(shown), /Safety number: new, never verified/);
    assert.match(bodyOf(shown), /Preview \(links and mentions disabled\): one/);
    await sam.typing(ALICE_PHONE, 'started');
    // the barrier: the bridge has answered a command after taking in all three and the typing
    const listed = await botReply(env, alice, managementRoom, 'requests', /message request/);
    assert.match(String(listed.content.body), /\+1 415 555 2671, provider "native" \(end-to-end encrypted\): 3 messages/);
    assert.deepEqual(invitedBy(ghost, mark), [], 'no room and no invite before the accept');
    assert.deepEqual(fromBridgeAbout(SAM_PHONE), [], 'no status, typing or profile look-up towards Sam');
    assert.deepEqual([sam.statuses.length, sam.typingEvents.length, sam.received.length], [0, 0, 0], 'and Sam got nothing');

    const accepted = requests.length;
    const reply = await botReply(env, alice, managementRoom, `accept ${SAM_PHONE}`, /^Accepted/);
    assert.match(String(reply.content.body), /with the 3 messages they sent/);
    const portal = await acceptPortalInvite(alice, ghost, { after: mark, timeoutMs: 30_000 });
    const three = await alice.waitForEvent(messageFrom(portal, ghost, 'three'), { after: mark, timeoutMs: 20_000 });
    const history = await alice.roomHistory(portal);
    assert.deepEqual(history.filter((e) => e.sender === ghost && e.type === 'm.room.message').map((e) => e.content.body), ['one', 'two', 'three']);
    assert.equal(alice.seen.slice(mark).filter((e) => e.section === 'timeline' && e.event.type === 'm.typing').length, 0, 'the typing sent before the accept is not replayed');

    await alice.sendReceipt(portal, three.event.event_id!);
    await sam.waitFor('status', (s) => s.status === 'read', 20_000);
    const statuses = requests.map((r, i) => ({ r, i })).filter(({ r }) => r.provider === bridgeProvider && r.type === 'signal.send' && (r.params as { to: string }).to === SAM_PHONE);
    assert.ok(statuses.length > 0 && statuses.every(({ i }) => i >= accepted), 'every status to Sam came after the accept');
  });

  await t.test('decline: no room, and the gateway saw nothing from the bridge to the sender', async () => {
    const carol = await newSim(env, CAROL_PHONE, 'native', { displayName: 'Carol' });
    const ghost = ghostId(env, CAROL_PHONE);
    const mark = await alice.catchUp();
    await carol.sendText(ALICE_PHONE, 'you won! claim at https://prize.example.com/claim or ask @boss:evil.com @room');
    const shown = await alice.waitForEvent(notice('+33 6 12 34 56 78'), { after: mark, timeoutMs: 30_000 });
    assert.match(bodyOf(shown), /https\[:\]\/\/prize\[\.\]example\[\.\]com\/claim/);
    assert.doesNotMatch(bodyOf(shown), /https:\/\/|@room|@boss/);
    assert.doesNotMatch(String(shown.event.content.formatted_body ?? ''), /<a\b|href|matrix\.to/);
    assert.deepEqual(shown.event.content['m.mentions'], {});
    await carol.typing(ALICE_PHONE, 'started');

    const reply = await botReply(env, alice, managementRoom, `decline ${CAROL_PHONE}`, /^Declined/);
    assert.match(String(reply.content.body), /what they sent is deleted, and they were not told/);
    // Carol writes again: a new request (the barrier: the bridge took in her second message)
    await carol.sendText(ALICE_PHONE, 'hello?');
    await alice.waitForEvent((e) => notice('+33 6 12 34 56 78')(e) && e.event.event_id !== shown.event.event_id, { after: mark, timeoutMs: 30_000 });
    await botReply(env, alice, managementRoom, `decline ${CAROL_PHONE}`, /^Declined/);
    await alice.sync();
    assert.deepEqual(invitedBy(ghost, mark), [], 'no room, no invite');
    assert.deepEqual(fromBridgeAbout(CAROL_PHONE), [], 'no status, typing, message or look-up from the bridge towards Carol');
    assert.deepEqual([carol.statuses.length, carol.typingEvents.length, carol.received.length], [0, 0, 0], 'and Carol got nothing');
    assert.equal(alice.seen.slice(mark).filter((e) => /you won|hello\?/.test(bodyOf(e)) && e.roomId !== managementRoom).length, 0);
  });
});
