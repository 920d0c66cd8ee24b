// What cannot cross the bridge is never dropped silently, end to end (real
// Synapse, real gateway, the real bridge, simulated remote people): a Matrix
// poll becomes a notice saying it was not delivered and why; a remote message
// of an unsupported kind, or garbage that fails to decrypt or to validate,
// becomes a notice too, and the bridge keeps working afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SeenEvent } from '../helpers/matrix-client';
import type { BridgeStore, OutboxJob } from '../../src/store';
import {
  acceptMessageRequest, acceptPortalInvite, ghostId, matrixUser, messageFrom, networkDevices, newSim, remoteText, simReceivesText,
  startChatFromRemote, startInteropEnv,
} from '../helpers/interop-env';

const ALICE_PHONE = '+4915112345678';
const SAM_PHONE = '+14155552671';
const UK_PHONE = '+447911123456';

/** A notice in one of `rooms` whose body matches `about` (other notices, e.g. security ones, may come too). */
const noticeIn = (rooms: string[], about: RegExp) => (e: SeenEvent) =>
  rooms.includes(e.roomId) && e.section === 'timeline' && e.event.type === 'm.room.message'
  && e.event.content.msgtype === 'm.notice' && about.test(String(e.event.content.body));

/** the outbox job of a Matrix event, through the repository (IDs count up from 1, and jobs
 *  are kept), so the test reads the same on SQLite and PostgreSQL */
async function outboxJobOf(store: BridgeStore, sourceEventId: string): Promise<OutboxJob | undefined> {
  for (let id = 1; ; id++) {
    const job = await store.outbox.get(id);
    if (!job || job.sourceEventId === sourceEventId) return job;
  }
}

const UNDELIVERED = /not delivered|could not be (read|decrypted)|unreadable|cannot be (read|shown)/i;

const pollContent = (question: string) => ({
  body: question,
  'm.text': [{ body: question }],
  'm.poll': { kind: 'm.disclosed', max_selections: 1, question: { 'm.text': [{ body: question }] }, answers: [{ 'm.id': 'a', 'm.text': [{ body: 'yes' }] }] },
  'org.matrix.msc3381.poll.start': {
    kind: 'org.matrix.msc3381.poll.disclosed', max_selections: 1, question: { 'org.matrix.msc1767.text': question },
    answers: [{ id: 'a', 'org.matrix.msc1767.text': 'yes' }],
  },
});

test('unbridgeable content and garbage become notices', async (t) => {
  const env = await startInteropEnv();
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const { sim: sam, ghost, portal, managementRoom } = await startChatFromRemote(env, alice, ALICE_PHONE, SAM_PHONE);

  for (const type of ['m.poll.start', 'org.matrix.msc3381.poll.start']) {
    await t.test(`a Matrix poll (${type}) → a notice saying what and why; the contact gets nothing`, async () => {
      const mark = await alice.catchUp();
      const before = sam.received.length;
      const pollId = await alice.sendEvent(portal, type, pollContent(`Lunch (${type})?`));
      const notice = await alice.waitForEvent(noticeIn([portal], UNDELIVERED), { after: mark, timeoutMs: 20_000 });
      const body = String(notice.event.content.body);
      assert.match(body, /not delivered/i);
      assert.match(body, /poll/i);
      await alice.sendText(portal, `barrier ${type}`);
      await simReceivesText(sam, ALICE_PHONE, `barrier ${type}`);
      const others = sam.received.slice(before).filter((m) => remoteText(m.content) !== `barrier ${type}`);
      assert.deepEqual(others.map((m) => m.content), [], 'no trace of the poll reached the contact');
      const job = await outboxJobOf(env.bridgeEnv.bridge.store, pollId);
      assert.equal(job?.state, 'failed', 'the bridge never records an unbridgeable event as sent');
    });
  }

  await t.test('a remote message of an unsupported kind (poll) → a notice in the portal', async () => {
    const mark = await alice.catchUp();
    await sam.send(ALICE_PHONE, {
      kind: 'unsupported', messageId: 'poll-1', timestamp: Date.now(), original: 'poll', fallbackText: 'Poll: pizza or sushi?',
    });
    const notice = await alice.waitForEvent(noticeIn([portal], UNDELIVERED), { after: mark, timeoutMs: 20_000 });
    const body = String(notice.event.content.body);
    assert.match(body, /not delivered/i);
    assert.match(body, /poll/);
    assert.match(body, /pizza or sushi/, 'the fallback text the sender gave is shown');
  });

  await t.test('an envelope that does not decrypt → a notice; the next message still arrives', async () => {
    const [device] = await networkDevices(sam, ALICE_PHONE);
    assert.ok(device, 'the bridge has a device for the linked number');
    const mark = await alice.catchUp();
    await sam.connection.request('message.submit', {
      from: { phone: sam.phone, deviceId: sam.deviceId! },
      to: ALICE_PHONE,
      clientMessageId: 'garbage-e2e-1',
      messages: [{ deviceId: device.deviceId, type: 'whisper', body: Buffer.from('certainly not a signal message').toString('base64') }],
    });
    await sam.sendText(ALICE_PHONE, 'after the garbage');
    await alice.waitForEvent(messageFrom(portal, ghost, 'after the garbage'), { after: mark, timeoutMs: 20_000 });
    const notice = await alice.waitForEvent(noticeIn([portal, managementRoom], UNDELIVERED), { after: mark, timeoutMs: 10_000 });
    assert.ok(notice);
  });

  await t.test('plaintext content that fails validation → a notice; the bridge keeps working', async () => {
    const uk = await newSim(env, UK_PHONE, 'plainchat');
    const ukGhost = ghostId(env, UK_PHONE);
    let mark = await alice.catchUp();
    await uk.sendText(ALICE_PHONE, 'uk hello');
    await acceptMessageRequest(env, alice, managementRoom, UK_PHONE, mark);
    const ukPortal = await acceptPortalInvite(alice, ukGhost, { after: mark, timeoutMs: 30_000 });
    await alice.waitForEvent(messageFrom(ukPortal, ukGhost, 'uk hello'));
    const [device] = await networkDevices(uk, ALICE_PHONE);
    mark = await alice.catchUp();
    await uk.connection.request('message.submit', {
      from: { phone: uk.phone, deviceId: uk.deviceId! },
      to: ALICE_PHONE,
      clientMessageId: 'bad-content-e2e-1',
      messages: [{ deviceId: device.deviceId, type: 'plaintext', body: Buffer.from('{"kind":"message","parts":"nope"}').toString('base64') }],
    });
    await uk.sendText(ALICE_PHONE, 'uk after garbage');
    await alice.waitForEvent(messageFrom(ukPortal, ukGhost, 'uk after garbage'), { after: mark, timeoutMs: 20_000 });
    await alice.waitForEvent(noticeIn([ukPortal, managementRoom], UNDELIVERED), { after: mark, timeoutMs: 10_000 });
    // and the other chat is unaffected
    await alice.sendText(portal, 'sam still there?');
    await simReceivesText(sam, ALICE_PHONE, 'sam still there?');
  });
});
