// Remote → Matrix while the homeserver misbehaves: the head of a portal's line is retried for
// as long as the failure is transient (no retry count), nothing behind it overtakes it, other
// portals go on, a refusal ends with a notice and an ack, and a late message is shown as late.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeSession, httpError, startCoreHarness, type CoreHarness } from '../../helpers/core-harness';
import type { E164 } from '../../../src/network/phone';
import { DELAYED_KEY } from '../../../src/security/namespace';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;
const KIM = '+14155552672' as E164;

async function ghostTexts(h: CoreHarness, contact: E164): Promise<unknown[]> {
  const roomId = (await h.store.portals.get(ALICE, contact))?.roomId;
  return h.matrix.events.filter((e) => e.roomId === roomId && e.asUser === h.matrix.ghostUserId(contact)).map((e) => e.content.body);
}

async function botNotices(h: CoreHarness, contact: E164): Promise<string[]> {
  const roomId = (await h.store.portals.get(ALICE, contact))?.roomId;
  return h.matrix.events.filter((e) => e.roomId === roomId && e.asUser === h.matrix.botUserId).map((e) => String(e.content.body));
}

test('the homeserver failing a few times, then recovering: each message bridged once, in order, acked once', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r0', 'first'));
  // an outage: sends answer 502 and so does everything else
  h.matrix.fail('sendEvent', 7, () => httpError(502));
  h.matrix.fail('ping', Infinity, () => httpError(502));
  const deliveries = ['r1', 'r2', 'r3'].map((id) => session.deliver(FakeSession.text(SAM, id, id)));
  const done = await Promise.all(deliveries);
  assert.deepEqual(done.map((d) => d.acked()), [1, 1, 1]);
  assert.deepEqual(await ghostTexts(h, SAM), ['first', 'r1', 'r2', 'r3']);
});

test('an outage longer than many retry rounds: still delivered, no retry count', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r0', 'before'));
  h.matrix.fail('sendEvent', Infinity);
  const pending = [session.deliver(FakeSession.text(SAM, 'r1', 'during 1')), session.deliver(FakeSession.text(SAM, 'r2', 'during 2'))];
  // retry_max_ms is 20 ms in the harness: 600 ms are dozens of rounds, far beyond the old 5
  await new Promise((resolve) => setTimeout(resolve, 600));
  assert.ok(h.matrix.count('sendEvent') > 20, `${h.matrix.count('sendEvent')} attempts`);
  h.matrix.heal();
  const done = await Promise.all(pending);
  assert.deepEqual(done.map((d) => d.acked()), [1, 1]);
  assert.deepEqual(await ghostTexts(h, SAM), ['before', 'during 1', 'during 2']);
});

test('one portal stuck does not delay another', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 's0', 'sam 0'));
  await session.deliver(FakeSession.text(KIM, 'k0', 'kim 0'));
  const samRoom = (await h.store.portals.get(ALICE, SAM))?.roomId;
  h.matrix.failWhen('sendEvent', (args) => args[1] === samRoom);
  let samDone = false;
  const sam = session.deliver(FakeSession.text(SAM, 's1', 'sam 1')).then((d) => ((samDone = true), d));
  const kim = await session.deliver(FakeSession.text(KIM, 'k1', 'kim 1'));
  assert.equal(kim.acked(), 1);
  assert.deepEqual(await ghostTexts(h, KIM), ['kim 0', 'kim 1']);
  assert.equal(samDone, false, 'the stuck portal is still trying');
  h.matrix.heal();
  assert.equal((await sam).acked(), 1);
  assert.deepEqual(await ghostTexts(h, SAM), ['sam 0', 'sam 1']);
});

test('a refusal (4xx) ends the job at once with a notice that says why, and acks', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r0', 'fine'));
  h.matrix.failWhen('sendEvent', (args) => (args[3] as { body?: string }).body === 'refused one', () => httpError(403));
  const refused = await session.deliver(FakeSession.text(SAM, 'r1', 'refused one'));
  const after = await session.deliver(FakeSession.text(SAM, 'r2', 'after'));
  assert.equal(refused.acked(), 1);
  assert.equal(after.acked(), 1);
  assert.deepEqual(await ghostTexts(h, SAM), ['fine', 'after']);
  const notice = (await botNotices(h, SAM)).find((b) => b.includes('Not delivered'));
  assert.match(String(notice), /refused it \(HTTP 403\)/);
  assert.ok(!String(notice).includes('refused one'), 'the notice does not repeat the content');
});

test('a message that goes late is dated when it was sent, marked, and the stretch announced once', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r0', 'on time'));
  const sentAt = Date.now() - 60_000;
  await session.deliver(FakeSession.text(SAM, 'r1', 'late 1', sentAt));
  await session.deliver(FakeSession.text(SAM, 'r2', 'late 2', sentAt + 1));
  await session.deliver(FakeSession.text(SAM, 'r3', 'on time again'));
  const roomId = (await h.store.portals.get(ALICE, SAM))?.roomId;
  const ghostEvents = h.matrix.events.filter((e) => e.roomId === roomId && e.asUser === h.matrix.ghostUserId(SAM));
  assert.deepEqual(ghostEvents.map((e) => e.ts), [undefined, sentAt, sentAt + 1, undefined]);
  const marker = ghostEvents[1].content[DELAYED_KEY] as { sent_at: number; delay_ms: number };
  assert.equal(marker.sent_at, sentAt);
  assert.ok(marker.delay_ms >= 60_000);
  assert.equal(ghostEvents[0].content[DELAYED_KEY], undefined);
  assert.equal((await botNotices(h, SAM)).filter((b) => b.startsWith('⏳ Delayed')).length, 1);
});

test('a message still failing past max_age_seconds is given up with a notice, and acked', async (t) => {
  const h = await startCoreHarness({ adjust: (c) => { c.bridge.delivery.max_age_seconds = 60; } });
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r0', 'fine'));
  // an old message that would go if it could is delivered (late), not dropped
  const old = await session.deliver(FakeSession.text(SAM, 'r1', 'old but deliverable', Date.now() - 120_000));
  assert.equal(old.acked(), 1);
  h.matrix.failWhen('sendEvent', (args) => (args[3] as { body?: string }).body === 'old and stuck', () => httpError(502));
  const stuck = await session.deliver(FakeSession.text(SAM, 'r2', 'old and stuck', Date.now() - 120_000));
  assert.equal(stuck.acked(), 1);
  assert.deepEqual(await ghostTexts(h, SAM), ['fine', 'old but deliverable']);
  assert.ok((await botNotices(h, SAM)).some((b) => /could not be delivered within 1 minute/.test(b)));
});

test('stopping during an outage ends the retries without an ack', async (t) => {
  const h = await startCoreHarness();
  let stopped = false;
  t.after(() => (stopped ? undefined : h.stop()));
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r0', 'fine'));
  h.matrix.fail('sendEvent', Infinity);
  const pending = session.deliver(FakeSession.text(SAM, 'r1', 'never sent'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  await h.stop();
  stopped = true;
  assert.equal((await pending).acked(), 0);
});

test("a contact's next message does not wait for the network to take the last one's acknowledgement", async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  let releaseAck!: () => void;
  const ackTaken = new Promise<void>((resolve) => (releaseAck = resolve));
  // the first acknowledgement hangs (a slow gateway); the message behind it goes on meanwhile
  const first = session.handler.onMessage(FakeSession.text(SAM, 'a1', 'one'), () => ackTaken);
  const second = await session.deliver(FakeSession.text(SAM, 'a2', 'two'));
  assert.equal(second.acked(), 1);
  assert.deepEqual(await ghostTexts(h, SAM), ['one', 'two']);
  releaseAck();
  await first;
});

test('an acknowledgement that fails is retried, outside the line: nothing is bridged twice', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  let attempts = 0;
  await session.handler.onMessage(FakeSession.text(SAM, 'b1', 'one'), async () => {
    attempts += 1;
    if (attempts < 3) throw new Error('gateway connection lost');
  });
  assert.equal(attempts, 3);
  assert.deepEqual(await ghostTexts(h, SAM), ['one']);
});
