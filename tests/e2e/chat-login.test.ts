// Linking a phone number, starting chats and logging out, end to end: real
// Synapse, real interop gateway (production mode: the one-time code reaches
// the phone's owner, here the test, out of band), the real bridge, and a
// simulated remote person. Also: one Matrix user's login, contacts and portals
// are invisible to another's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceptMessageRequest, acceptPortalInvite, botReply, displayName, ghostId, loginMatrixUser, matrixUser, messageFrom, networkDevices,
  newSim, openManagementRoom, roomState, simReceivesText, startInteropEnv, waitForPortalInvite,
} from '../helpers/interop-env';

const ALICE_PHONE = '+4915112345678';
const BOB_PHONE = '+4915123456789';
const SAM_PHONE = '+14155552671';
const UK_PHONE = '+447911123456';

const bodyOf = (e: { content: Record<string, unknown> }) => String(e.content.body ?? '');

test('login, start-chat, isolation and logout', async (t) => {
  const env = await startInteropEnv();
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const bob = await matrixUser(env, 'bob');
  const aliceRoom = await openManagementRoom(env, alice);
  const bobRoom = await openManagementRoom(env, bob);
  // Sam is on the native provider, with a display name in his network profile.
  const sam = await newSim(env, SAM_PHONE, 'native', { displayName: 'Sam Simmons' });
  const samGhost = ghostId(env, SAM_PHONE);
  assert.equal(samGhost, `@wa_${SAM_PHONE}:localhost`);

  await t.test('commands that need a login say so when there is none', async () => {
    const reply = await botReply(env, bob, bobRoom, `start-chat ${SAM_PHONE}`);
    assert.match(bodyOf(reply), /login/i);
  });

  await t.test('login: a code is sent to the phone; a wrong code is refused and the login stays pending', async () => {
    const asked = await botReply(env, alice, aliceRoom, `login ${ALICE_PHONE}`, /code/i);
    const history = await alice.roomHistory(aliceRoom);
    const consent = history.findIndex((e) => e.sender === env.botUserId && /^Before \+49 1511 2345678 is linked: what this means/.test(String(e.content.body)));
    assert.ok(consent >= 0 && consent < history.findIndex((e) => e.event_id === asked.event_id), 'what logging in means is said before the code is sent');
    const code = await env.gateway.codes.next(ALICE_PHONE);
    assert.doesNotMatch(bodyOf(asked), new RegExp(code), 'the bot never echoes the code');
    const wrong = code.replace(/.$/, (d) => String((Number(d) + 1) % 10));
    const refused = await botReply(env, alice, aliceRoom, wrong);
    assert.match(bodyOf(refused), /wrong|invalid/i);
    const done = await botReply(env, alice, aliceRoom, code, /Logged in|wrong|invalid|expired/i);
    assert.match(bodyOf(done), /Logged in as \+49 1511 2345678/);
  });

  await t.test('the network now lists one bridged device for the linked number', async () => {
    const devices = await networkDevices(sam, ALICE_PHONE);
    assert.equal(devices.length, 1, JSON.stringify(devices));
    assert.equal(devices[0].bridged, true, 'the bridge publishes its device as bridged');
  });

  await t.test('start-chat with an invalid number names the input', async () => {
    const reply = await botReply(env, alice, aliceRoom, 'start-chat 12345');
    assert.match(bodyOf(reply), /12345.*is not a valid phone number|is not a valid phone number/);
  });

  let alicePortal = '';
  await t.test('start-chat creates a DM portal: ghost invites, is_direct, bridge state, profile name', async () => {
    const mark = await alice.catchUp();
    await alice.sendText(aliceRoom, `start-chat ${SAM_PHONE}`);
    const { roomId, invite } = await waitForPortalInvite(alice, samGhost, { after: mark });
    assert.equal(invite.content.is_direct, true, 'the invite marks the room as a DM');
    const reply = await alice.waitForEvent(messageFrom(aliceRoom, env.botUserId), { after: mark });
    const mentioned = `${bodyOf(reply.event)} ${String(reply.event.content.formatted_body ?? '')}`;
    assert.ok(mentioned.includes(roomId) || mentioned.includes(encodeURIComponent(roomId)), `reply names the room: ${mentioned}`);
    await alice.join(roomId);
    alicePortal = roomId;

    const state = await roomState(alice, roomId);
    const member = (id: string) => state.find((e) => e.type === 'm.room.member' && e.state_key === id)?.content.membership;
    assert.equal(member(samGhost), 'join');
    assert.equal(member(alice.userId), 'join');
    for (const type of ['m.bridge', 'uk.half-shot.bridge']) {
      const bridgeState = state.find((e) => e.type === type);
      assert.ok(bridgeState, `${type} state present; state types: ${state.map((e) => e.type).join(', ')}`);
      assert.equal(typeof bridgeState.content.protocol, 'object', `${type} has a protocol section`);
    }
    assert.match((await displayName(alice, samGhost)) ?? '', /Sam Simmons/);
  });

  await t.test("the user's message in the portal reaches the contact from the linked number", async () => {
    await alice.sendText(alicePortal, 'hi Sam, alice here');
    await simReceivesText(sam, ALICE_PHONE, 'hi Sam, alice here');
  });

  let bobPortal = '';
  await t.test("another user's login, contacts and portals are separate", async () => {
    await loginMatrixUser(env, bob, BOB_PHONE, bobRoom);
    const bobMark = await bob.catchUp();
    // Sam writes to Alice: only Alice hears of it.
    const aliceMark = await alice.catchUp();
    await sam.sendText(ALICE_PHONE, 'for alice only');
    await alice.waitForEvent(messageFrom(alicePortal, samGhost, 'for alice only'), { after: aliceMark });
    // Bob starts his own chat with Sam: a different room.
    await bob.sendText(bobRoom, `start-chat ${SAM_PHONE}`);
    bobPortal = await acceptPortalInvite(bob, samGhost, { after: bobMark });
    assert.notEqual(bobPortal, alicePortal);
    await bob.sync();
    const leaked = bob.seen.slice(bobMark).filter((e) => e.roomId === alicePortal || bodyOf(e.event) === 'for alice only');
    assert.deepEqual(leaked, [], 'nothing of Alice\'s chat reaches Bob');
    await bob.sendText(bobPortal, 'bob writing');
    const got = await simReceivesText(sam, BOB_PHONE, 'bob writing');
    assert.equal(got.sender.phone, BOB_PHONE);
    // and Sam's answer to Bob lands in Bob's portal, not Alice's
    await sam.sendText(BOB_PHONE, 'hello bob');
    await bob.waitForEvent(messageFrom(bobPortal, samGhost, 'hello bob'));
    await alice.sync();
    assert.equal(alice.seen.filter((e) => bodyOf(e.event) === 'hello bob').length, 0);
  });

  await t.test('a portal opens from an incoming message too, for a contact on another provider', async () => {
    const uk = await newSim(env, UK_PHONE, 'plainchat', { displayName: 'Ursula K' });
    const mark = await alice.catchUp();
    await uk.sendText(ALICE_PHONE, 'cheerio');
    await acceptMessageRequest(env, alice, aliceRoom, UK_PHONE, mark);
    const { roomId, invite } = await waitForPortalInvite(alice, ghostId(env, UK_PHONE), { after: mark, timeoutMs: 30_000 });
    assert.equal(invite.content.is_direct, true);
    await alice.join(roomId);
    await alice.waitForEvent(messageFrom(roomId, ghostId(env, UK_PHONE), 'cheerio'));
  });

  await t.test('logout removes the device and keys and says what was deleted; other users unaffected', async () => {
    const reply = await botReply(env, alice, aliceRoom, 'logout');
    assert.match(bodyOf(reply), /^Logged out/);
    assert.ok(bodyOf(reply).split('\n').length > 1 || /device|key/i.test(bodyOf(reply)), `lists what was deleted: ${bodyOf(reply)}`);
    assert.match(bodyOf(reply), /device/i);
    assert.match(bodyOf(reply), /key/i);
    assert.deepEqual(await networkDevices(sam, ALICE_PHONE), [], 'no device of the number is left on the network');
    const after = await botReply(env, alice, aliceRoom, `start-chat ${SAM_PHONE}`);
    assert.match(bodyOf(after), /login/i);
    // Bob still chats.
    await bob.sendText(bobPortal, 'still here');
    await simReceivesText(sam, BOB_PHONE, 'still here');
  });
});
