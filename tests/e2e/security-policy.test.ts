// The operator's security policy, end to end (real Synapse, real gateway, the real bridge,
// simulated people), with security.refuse_unencrypted_providers and
// security.hold_on_key_change both on: a contact on a provider without end-to-end encryption
// is refused both ways with a notice saying why, and nothing crosses; messages from a contact
// whose identity key changed are held, with notices, until the user confirms the new key,
// then delivered in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  confirmCode, heldMessagesNotice, identityChangedNotice, portalCreatedNotice, refusedMessageNotice, remoteToMatrixTrail,
  safetyNumberText, securitySummary, unencryptedProviderNotice,
} from '../../src/security';
import {
  acceptMessageRequest, acceptPortalInvite, botReply, displayName, ghostId, loginMatrixUser, matrixUser, messageFrom, remoteText, simReceivesText,
  startInteropEnv,
} from '../helpers/interop-env';
import {
  installSim, noticeIs, noticesSince, ownFingerprint, portalSecurityState, reinstallSim, simSafetyNumber,
  timelineSince, trailOf, type SimSpec,
} from '../helpers/security-probe';
import { readHopTrail } from '../helpers/hop-trail-reader';

const ALICE_PHONE = '+4915112345678';
const PLAIN: SimSpec = { phone: '+4915112340011', provider: 'plainchat', displayName: 'Rita Refused' };
const HELD: SimSpec = { phone: '+4915112340012', provider: 'native', displayName: 'Hana Held' };
const LATE_PLAIN: SimSpec = { phone: '+4915112340013', provider: 'plainchat', displayName: 'Luca Late' };
const REFUSED_SEND = "⚠️ Not delivered to the contact: the contact's provider has no end-to-end encryption, and this bridge is set to refuse such contacts";

test('policy: refuse providers without end-to-end encryption, hold messages after a key change', async (t) => {
  const env = await startInteropEnv({
    adjust: (c) => {
      c.security.refuse_unencrypted_providers = true;
      c.security.hold_on_key_change = true;
    },
  });
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const { managementRoom } = await loginMatrixUser(env, alice, ALICE_PHONE);
  const bot = env.botUserId;

  await t.test('a contact on a plaintext provider writes: refused with notices saying why; nothing is shown', async (st) => {
    const sim = await installSim(env, PLAIN);
    const ghost = ghostId(env, PLAIN.phone);
    const mark = await alice.catchUp();
    await sim.sendText(ALICE_PHONE, 'hello from plainchat');
    await acceptMessageRequest(env, alice, managementRoom, PLAIN.phone, mark);
    const room = await acceptPortalInvite(alice, ghost, { after: mark, timeoutMs: 30_000 });
    const name = (await displayName(alice, ghost)) ?? '';
    const reason = `${name}'s provider (plainchat) has no end-to-end encryption, and this bridge is set to refuse such contacts`;
    const refused = refusedMessageNotice({ contactName: name, reason }).body;
    const notice = await alice.waitForEvent(noticeIs(room, bot, refused), { after: mark, timeoutMs: 20_000 });
    // a second message is refused the same way; it is the barrier for "nothing shown"
    await sim.sendText(ALICE_PHONE, 'second from plainchat');
    await alice.waitForEvent((e) => noticeIs(room, bot, refused)(e) && e.event.event_id !== notice.event.event_id, { after: mark, timeoutMs: 20_000 });
    const state = await portalSecurityState(alice, room, `interop/${PLAIN.phone}`);
    const networkName = String((state.mBridge?.protocol as Record<string, unknown>).displayname);
    // the portal-created notice already says the network reads this contact's messages
    assert.deepEqual(noticesSince(alice, room, bot, mark), [
      portalCreatedNotice({ contactName: name, networkName, contactE2ee: false, roomEncrypted: false }).body,
      unencryptedProviderNotice({ contactName: name, provider: 'plainchat', refused: true }).body,
      refused,
      refused,
    ]);
    assert.deepEqual(timelineSince(alice, room, mark).filter((e) => e.sender === ghost && e.type === 'm.room.message'), [], 'nothing from the contact is shown');
    // the refusal notices are about a remote message: they carry its trail like any bridged event
    const trail = remoteToMatrixTrail({ contactProvider: 'plainchat', contactE2ee: false, matrixRoomEncrypted: false, identityVerified: false });
    const refusals = timelineSince(alice, room, mark).filter((ev) => ev.sender === bot && ev.content.body === refused);
    assert.equal(refusals.length, 2);
    for (const e of refusals) {
      assert.ok(readHopTrail(e.content), 'the refusal notice carries a trail');
      assert.deepEqual(trailOf(e), trail);
    }
    assert.deepEqual(state.summary, securitySummary(false, { phone: PLAIN.phone, provider: 'plainchat', e2ee: false, identityFingerprint: null, verified: false }));

    await st.test('…and what Alice writes to them fails with a notice; the contact gets nothing', async () => {
      const before = sim.received.length;
      const mark2 = await alice.catchUp();
      const eventId = await alice.sendText(room, 'alice to a refused contact');
      const failed = await alice.waitForEvent(noticeIs(room, bot, REFUSED_SEND), { after: mark2, timeoutMs: 20_000 });
      assert.deepEqual(failed.event.content['m.relates_to'], { 'm.in_reply_to': { event_id: eventId } });
      assert.deepEqual(sim.received.slice(before).map((m) => m.content), []);
    });
  });

  await t.test('start-chat with an unknown contact on a plaintext provider: the first message is not delivered either', async () => {
    const sim = await installSim(env, LATE_PLAIN);
    const ghost = ghostId(env, LATE_PLAIN.phone);
    const mark = await alice.catchUp();
    await botReply(env, alice, managementRoom, `start-chat ${LATE_PLAIN.phone}`, /Chat with/);
    const room = await acceptPortalInvite(alice, ghost, { after: mark, timeoutMs: 30_000 });
    const eventId = await alice.sendText(room, 'first words to a plaintext contact');
    // whichever comes first: the refusal notice, or (the bug) the message arriving at the contact
    const failed = alice.waitForEvent(noticeIs(room, bot, REFUSED_SEND), { after: mark, timeoutMs: 20_000 });
    const leaked = sim.waitFor('message', () => true, 20_000);
    failed.catch(() => undefined);
    leaked.catch(() => undefined);
    await Promise.race([failed, leaked]);
    assert.deepEqual(sim.received.map((m) => remoteText(m.content)), [], 'not one message crossed the network in plaintext');
    assert.deepEqual((await failed).event.content['m.relates_to'], { 'm.in_reply_to': { event_id: eventId } });
    // what the refused send taught the bridge is said in the room and in its state
    const titles = noticesSince(alice, room, bot, mark).map((body) => body.split('\n')[0]);
    const name = (await displayName(alice, ghost)) ?? '';
    assert.deepEqual(titles, ['🔓 Where messages in this chat can be read', `⛔ Messages with ${name} are refused`, REFUSED_SEND]);
    const summary = (await portalSecurityState(alice, room, `interop/${LATE_PLAIN.phone}`)).summary as { contact: { e2ee: unknown } };
    assert.equal(summary.contact.e2ee, false);
  });

  await t.test('a key change holds messages until `verify <phone> confirm <digits>`, then delivers them in order', async () => {
    let sim = await installSim(env, HELD);
    const ghost = ghostId(env, HELD.phone);
    let mark = await alice.catchUp();
    await sim.sendText(ALICE_PHONE, 'hello before the new phone');
    await acceptMessageRequest(env, alice, managementRoom, HELD.phone, mark);
    const room = await acceptPortalInvite(alice, ghost, { after: mark, timeoutMs: 30_000 });
    await alice.waitForEvent(messageFrom(room, ghost, 'hello before the new phone'), { after: mark, timeoutMs: 20_000 });
    const name = (await displayName(alice, ghost)) ?? '';

    mark = await alice.catchUp();
    sim = await reinstallSim(env, sim, HELD);
    await sim.sendText(ALICE_PHONE, 'held 1');
    await sim.sendText(ALICE_PHONE, 'held 2');
    const secondHeld = heldMessagesNotice({ contactName: name, count: 2, phone: HELD.phone }).body;
    await alice.waitForEvent(noticeIs(room, bot, secondHeld), { after: mark, timeoutMs: 30_000 });
    const safetyNumber = await simSafetyNumber(sim, ALICE_PHONE);
    assert.deepEqual(noticesSince(alice, room, bot, mark), [
      identityChangedNotice({ contactName: name, safetyNumber, wasVerified: false, held: true, phone: HELD.phone }).body,
      heldMessagesNotice({ contactName: name, count: 1, phone: HELD.phone }).body,
      secondHeld,
    ]);
    assert.deepEqual(timelineSince(alice, room, mark).filter((e) => e.sender === ghost && e.type === 'm.room.message'), [], 'held messages are not shown');
    // the held-message notices are about remote messages: they carry their trail
    const heldTrail = remoteToMatrixTrail({ contactProvider: 'native', contactE2ee: true, matrixRoomEncrypted: false, identityVerified: false });
    const heldNotices = timelineSince(alice, room, mark).filter((e) => e.sender === bot && String(e.content.body).startsWith('⏸️'));
    assert.equal(heldNotices.length, 2);
    for (const e of heldNotices) assert.deepEqual(trailOf(e), heldTrail);
    const fingerprint = await ownFingerprint(sim);
    const unverified = securitySummary(false, { phone: HELD.phone, provider: 'native', e2ee: true, identityFingerprint: fingerprint, verified: false });
    assert.deepEqual((await portalSecurityState(alice, room, `interop/${HELD.phone}`)).summary, unverified);

    // Alice's messages still go out while the contact's are held (the policy is about what she is shown)
    await alice.sendText(room, 'alice while held');
    await simReceivesText(sim, ALICE_PHONE, 'alice while held', 30_000);

    const shown = await botReply(env, alice, managementRoom, `verify ${HELD.phone}`, /Safety number/);
    assert.equal(shown.content.body, safetyNumberText({ contactName: name, safetyNumber, verified: false, phone: HELD.phone }).body);
    mark = await alice.catchUp();
    // a bare confirm is refused: it must name the digits compared, which bind it to this key
    const bare = await botReply(env, alice, managementRoom, `verify ${HELD.phone} confirm`, /add the digits you compared/);
    assert.doesNotMatch(String(bare.content.body), /is now marked verified/);
    const confirmed = await botReply(env, alice, managementRoom, `verify ${HELD.phone} confirm ${confirmCode([safetyNumber])}`, /marked verified/);
    assert.match(String(confirmed.content.body), /2 held message/);
    await alice.waitForEvent(messageFrom(room, ghost, 'held 2'), { after: mark, timeoutMs: 20_000 });
    await sim.sendText(ALICE_PHONE, 'after confirming');
    await alice.waitForEvent(messageFrom(room, ghost, 'after confirming'), { after: mark, timeoutMs: 20_000 });
    const delivered = timelineSince(alice, room, mark).filter(eventFromAny(ghost));
    assert.deepEqual(delivered.map((e) => e.content.body), ['held 1', 'held 2', 'after confirming'], 'delivered once each, in order');
    const verifiedTrail = remoteToMatrixTrail({ contactProvider: 'native', contactE2ee: true, matrixRoomEncrypted: false, identityVerified: true });
    for (const e of delivered) assert.deepEqual(trailOf(e), verifiedTrail, `trail of "${String(e.content.body)}"`);
    assert.deepEqual((await portalSecurityState(alice, room, `interop/${HELD.phone}`)).summary, { ...unverified, contact: { ...unverified.contact, verified: true } });
    assert.deepEqual(noticesSince(alice, room, bot, mark), [], 'no further notices');
  });
});

const eventFromAny = (ghost: string) => (e: { type: string; sender?: string }) => e.sender === ghost && e.type === 'm.room.message';
