// Message requests over the fake ports: a first message from an unknown number opens no room
// and reaches nobody but the management room (one notice, an inert preview); accept delivers
// what was held, in order; decline and block delete it; nothing goes back to the sender; the
// caps drop and summarise; and every step survives the homeserver failing and a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCoreHarness, FakeSession, type CoreHarness } from '../../helpers/core-harness';
import type { BridgeConfig } from '../../../src/config/types';
import type { E164 } from '../../../src/network/phone';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;
const CAROL = '+4915112345670' as E164;
const MANAGEMENT = '!alice-management:example.org';

async function harness(
  t: { after(fn: () => Promise<void>): void }, adjust?: (c: BridgeConfig) => void, dir?: string,
): Promise<CoreHarness> {
  const h = await startCoreHarness({ dir, adjust: (c) => {
    c.bridge.message_requests.enabled = true;
    adjust?.(c);
  } });
  t.after(() => h.stop());
  await h.store.users.ensure(ALICE);
  await h.store.users.setManagementRoom(ALICE, MANAGEMENT);
  return h;
}

const notices = (h: CoreHarness) => h.matrix.inRoom(MANAGEMENT).map((e) => String(e.content.body));
/** Matrix events and rooms anywhere but the management room */
const chatEffects = (h: CoreHarness) =>
  h.matrix.calls.filter(([m, args]) => (m === 'sendEvent' && args[1] !== MANAGEMENT) || m === 'createPortalRoom' || m === 'invite' || m === 'setTyping' || m === 'sendReadReceipt');
const bodiesIn = (h: CoreHarness, room: string) => h.matrix.inRoom(room).filter((e) => e.asUser !== h.matrix.botUserId).map((e) => String(e.content.body));
/** what went back to the network about `contact` (anything a sender could notice) */
const towards = (session: FakeSession, contact: E164) =>
  session.calls.filter(([m, args]) => ['send', 'sendTyping', 'sendReadStatus', 'sendDeliveredStatus', 'fetchProfile'].includes(m) && args[0] === contact);

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

test('a first message from an unknown number: no room, one notice with an inert preview, held sealed, acked, nothing back to the sender', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  const first = await session.deliver(FakeSession.text(SAM, 'm-1', 'claim your prize at https://evil.example/win or ask @admin:evil.example, @room'));
  const second = await session.deliver(FakeSession.text(SAM, 'm-2', 'second'));
  await session.handler.onTyping(SAM, true);
  await session.handler.onStatus(SAM, 'read', ['x'], async () => {});
  assert.equal(first.acked(), 1);
  assert.equal(second.acked(), 1);
  assert.deepEqual(chatEffects(h), [], 'no portal, no invite, no event, no typing, no receipt');
  assert.deepEqual(towards(session, SAM), [], 'no profile look-up, no status, no typing towards the sender');

  const [notice, ...more] = h.matrix.inRoom(MANAGEMENT);
  assert.equal(more.length, 0, 'one notice per request, not per message');
  const body = String(notice.content.body);
  assert.match(body, /Message request from \+1 415 555 2671/);
  assert.match(body, /provider "native" \(end-to-end encrypted/);
  assert.match(body, /Safety number: new, never verified/);
  assert.match(body, /https\[:\]\/\/evil\[\.\]example\/win/, 'the link is defanged in the text itself');
  assert.doesNotMatch(body, /https:\/\/|@room|@admin/, 'no working link, room mention or user mention');
  assert.doesNotMatch(String(notice.content.formatted_body), /<a\b|matrix\.to|href/i, 'no links or pills in the HTML');
  assert.deepEqual(notice.content['m.mentions'], {}, 'mentions nobody');

  const raw = readFileSync(h.config.database.path);
  assert.equal(raw.includes(Buffer.from('claim your prize')), false, 'held content is sealed at rest');
  assert.deepEqual((await h.store.requests.list(ALICE)).map((r) => [r.contact, r.held, r.notice]), [[SAM, 2, 'sent']]);
  assert.deepEqual(h.metrics.calls.filter((c) => c.call === 'request').map((c) => c.call === 'request' && c.event), ['opened', 'held', 'held']);
});

test('accept opens the portal and delivers what was held in order; later messages go straight to it', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  for (const [id, text] of [['m-1', 'one'], ['m-2', 'two'], ['m-3', 'three']]) await session.deliver(FakeSession.text(SAM, id, text));
  const [reply] = await h.command(ALICE, 'accept +1 415 555 2671');
  assert.match(reply, /^Accepted \+1 415 555 2671: you are invited to a chat with them, with the 3 messages they sent\./);
  const room = (await h.store.portals.get(ALICE, SAM))?.roomId;
  assert.ok(room, 'the portal exists now');
  assert.deepEqual(bodiesIn(h, room), ['one', 'two', 'three']);
  assert.equal(await h.store.requests.get(ALICE, SAM), undefined, 'the request is closed');
  const delivered = h.matrix.inRoom(room).filter((e) => e.asUser !== h.matrix.botUserId);
  assert.ok(delivered.every((e) => e.ts !== undefined), 'each dated when it was sent');
  assert.ok(h.matrix.inRoom(room).every((e) => !/Delayed/.test(String(e.content.body))), 'waiting for the user is no delivery delay');
  await session.deliver(FakeSession.text(SAM, 'm-4', 'four'));
  assert.deepEqual(bodiesIn(h, room), ['one', 'two', 'three', 'four']);
  assert.equal(h.matrix.count('createPortalRoom'), 1);
  assert.equal(notices(h).length, 1, 'no second request notice');
});

test('decline deletes what was held and tells no one; a later message is a new request', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'm-1', 'hello?'));
  const [reply] = await h.command(ALICE, `decline ${SAM}`);
  assert.match(reply, /^Declined \+1 415 555 2671: what they sent is deleted, and they were not told\./);
  assert.equal(await h.store.requests.get(ALICE, SAM), undefined);
  assert.deepEqual(chatEffects(h), []);
  assert.deepEqual(towards(session, SAM), []);
  const [again] = await h.command(ALICE, `accept ${SAM}`);
  assert.match(again, /There is no message request from \+1 415 555 2671/);
  await session.deliver(FakeSession.text(SAM, 'm-2', 'hello again'));
  assert.equal(notices(h).length, 2, 'a new request, a new notice');
});

test('decline all: every waiting request declined, nothing sent back', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'm-1', 'one'));
  await session.deliver(FakeSession.text(CAROL, 'm-2', 'two'));
  const [reply] = await h.command(ALICE, 'decline all');
  assert.equal(reply, 'Declined all 2 message request(s): what they sent is deleted, and they were not told.');
  assert.deepEqual(await h.store.requests.list(ALICE), []);
  assert.equal(await h.store.requests.heldTotal(ALICE), 0);
  assert.deepEqual([...towards(session, SAM), ...towards(session, CAROL)], []);
  const [none] = await h.command(ALICE, 'decline all');
  assert.equal(none, 'No message requests are waiting.');
});

test('block on a waiting request declines it and blocks the number; what they send next is dropped', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'm-1', 'spam'));
  const [reply] = await h.command(ALICE, `block ${SAM}`);
  assert.match(reply, /^Blocked \+1 415 555 2671\. Their message request is declined and what they sent deleted\./);
  assert.equal(await h.store.requests.get(ALICE, SAM), undefined);
  assert.deepEqual(session.blockLists, [[SAM]]);
  await session.deliver(FakeSession.text(SAM, 'm-2', 'more spam'));
  assert.equal(await h.store.requests.get(ALICE, SAM), undefined, 'a blocked number opens no request');
  assert.deepEqual(h.metrics.calls.filter((c) => c.call === 'request').map((c) => c.call === 'request' && c.event), ['opened', 'held', 'blocked']);
});

test('the caps: notices per hour overall, held per sender and in all; the rest dropped and summarised once after a quiet time', async (t) => {
  const h = await harness(t, (c) => {
    c.bridge.message_requests.notices_per_hour = 2;
    c.bridge.message_requests.held_per_sender = 2;
    c.bridge.message_requests.held_total = 5;
    c.bridge.message_requests.summary_quiet_seconds = 1;
  });
  const session = await h.login(ALICE, ALICE_PHONE);
  const senders = Array.from({ length: 4 }, (_, i) => `+1415555267${i}` as E164);
  for (const from of senders) for (let m = 0; m < 3; m++) await session.deliver(FakeSession.text(from, `${from}-${m}`, `spam ${m}`));
  // 4 senders × 3: 2 held of each of the first two, then the total (5) is reached at the third sender's first
  assert.equal(await h.store.requests.heldTotal(ALICE), 5);
  assert.deepEqual((await h.store.requests.list(ALICE)).map((r) => [r.contact, r.held, r.notice]), [
    [senders[0], 2, 'sent'], [senders[1], 2, 'sent'], [senders[2], 1, 'silent'],
  ]);
  assert.equal(notices(h).filter((n) => /Message request/.test(n)).length, 2, 'no more notices than notices_per_hour');
  assert.deepEqual(chatEffects(h), []);
  const drops = await h.store.requests.drops(ALICE);
  assert.equal(drops?.messages, 7);
  assert.equal(drops?.numbers, 4, 'the first two dropped their third, the third its last two, the fourth all');
  await until('the summary', () => notices(h).some((n) => /dropped/.test(n)));
  await sleep(1200);
  const summaries = notices(h).filter((n) => /dropped/.test(n));
  assert.deepEqual(summaries.length, 1, 'one summary');
  assert.match(summaries[0], /^🗑️ 7 more messages from 4 unknown numbers were dropped/);
  assert.match(summaries[0], /3 requests are waiting: `requests` lists them/);
  assert.equal(await h.store.requests.drops(ALICE), undefined, 'what was reported is cleared');
  const [listing] = await h.command(ALICE, 'requests');
  assert.match(listing, /^3 message request\(s\) waiting:/);
  assert.match(listing, /\+1 415 555 2672, provider "native" \(end-to-end encrypted\): 1 message, since .* \(no notice was sent/);
});

test('the request notice failing: the message is retried, held once, the notice sent once, and acked only after', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  h.matrix.failWhen('sendEvent', (args) => args[1] === MANAGEMENT);
  let acked = 0;
  const done = session.handler.onMessage(FakeSession.text(SAM, 'm-1', 'hello'), async () => void (acked += 1));
  await until('a few failed tries', () => h.matrix.count('sendEvent') >= 3);
  assert.equal(acked, 0, 'not acked while the user has not been told');
  h.matrix.heal('sendEvent');
  await done;
  assert.equal(acked, 1);
  assert.equal(notices(h).length, 1);
  assert.equal(await h.store.requests.heldCount(ALICE, SAM), 1);
  assert.deepEqual(h.metrics.calls.filter((c) => c.call === 'request').map((c) => c.call === 'request' && c.event), ['opened', 'held']);
});

test('accept while the homeserver fails: retried until every held message is in, once each and in order', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  for (const id of ['a', 'b', 'c']) await session.deliver(FakeSession.text(SAM, id, id));
  h.matrix.fail('createPortalRoom', 2);
  h.matrix.failWhen('sendEvent', (args) => (args[3] as { body?: string }).body === 'b');
  const accepting = h.command(ALICE, `accept ${SAM}`);
  await until('b failing a few times', () => h.matrix.calls.filter(([m, a]) => m === 'sendEvent' && (a[3] as { body?: string }).body === 'b').length >= 2);
  h.matrix.heal('sendEvent');
  const [reply] = await accepting;
  assert.match(reply, /with the 3 messages they sent/);
  assert.deepEqual(bodiesIn(h, (await h.store.portals.get(ALICE, SAM))!.roomId!), ['a', 'b', 'c']);
  assert.equal(h.matrix.count('createPortalRoom'), 3, 'two failures, one room');
});

test('an accept cut short by a stop: after the restart the rest of what was held comes before anything new', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'requests-restart-'));
  const h = await startCoreHarness({ dir, adjust: (c) => void (c.bridge.message_requests.enabled = true) });
  await h.store.users.ensure(ALICE);
  await h.store.users.setManagementRoom(ALICE, MANAGEMENT);
  const session = await h.login(ALICE, ALICE_PHONE);
  for (const id of ['a', 'b', 'c']) await session.deliver(FakeSession.text(SAM, id, id));
  h.matrix.failWhen('sendEvent', (args) => (args[3] as { body?: string }).body === 'b');
  const accepting = h.command(ALICE, `accept ${SAM}`).catch((error: Error) => error);
  await until('b failing', () => h.matrix.calls.some(([m, a]) => m === 'sendEvent' && (a[3] as { body?: string }).body === 'b'));
  await h.stop();
  await accepting;

  const again = await harness(t, undefined, dir);
  const session2 = await again.login(ALICE, ALICE_PHONE);
  assert.deepEqual((await again.store.requests.held(ALICE, SAM)).map((m) => m.remoteId), ['b', 'c'], 'a was released, b and c wait');
  await session2.deliver(FakeSession.text(SAM, 'd', 'd'));
  const room = (await again.store.portals.get(ALICE, SAM))!.roomId!;
  assert.deepEqual(bodiesIn(again, room), ['b', 'c', 'd'], 'the held ones first, then the new one');
  assert.equal(await again.store.requests.get(ALICE, SAM), undefined);
});

test('unreadable messages from an unknown number open a request that says so; accept tells the room how many', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  const ack = async () => {};
  const unreadable = { from: SAM, reason: 'bad MAC', serverTimestamp: Date.now(), encrypted: true, sender: { provider: 'native', e2ee: true, bridged: false } };
  await session.handler.onUnreadable(unreadable, ack);
  await session.handler.onUnreadable(unreadable, ack);
  await session.deliver(FakeSession.text(SAM, 'm-1', 'can you read me now?'));
  assert.deepEqual(chatEffects(h), []);
  assert.equal(notices(h).length, 1);
  assert.match(notices(h)[0], /Their first message could not be decrypted/);
  await h.command(ALICE, `accept ${SAM}`);
  const room = (await h.store.portals.get(ALICE, SAM))!.roomId!;
  assert.deepEqual(bodiesIn(h, room), ['can you read me now?']);
  assert.ok(h.matrix.inRoom(room).some((e) => /2 messages from \+1 415 555 2671 could not be decrypted/.test(String(e.content.body))));
});

test('drops not yet summarised survive a restart and are summarised after it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'requests-drops-'));
  const adjust = (c: BridgeConfig) => {
    c.bridge.message_requests.held_per_sender = 1;
    c.bridge.message_requests.summary_quiet_seconds = 1;
  };
  const h = await startCoreHarness({ dir, adjust: (c) => { c.bridge.message_requests.enabled = true; adjust(c); } });
  await h.store.users.ensure(ALICE);
  await h.store.users.setManagementRoom(ALICE, MANAGEMENT);
  const session = await h.login(ALICE, ALICE_PHONE);
  for (const id of ['1', '2', '3']) await session.deliver(FakeSession.text(CAROL, id, id));
  await h.stop();
  assert.equal(notices(h).filter((n) => /dropped/.test(n)).length, 0, 'stopped before the quiet time ended');

  const again = await harness(t, adjust, dir);
  await until('the summary after the restart', () => notices(again).some((n) => /dropped/.test(n)));
  assert.match(notices(again).find((n) => /dropped/.test(n))!, /2 more messages from 1 unknown number were dropped/);
});

test('the summary failing is retried, not lost', async (t) => {
  const h = await harness(t, (c) => {
    c.bridge.message_requests.held_per_sender = 1;
    c.bridge.message_requests.summary_quiet_seconds = 1;
  });
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(CAROL, '1', '1'));
  h.matrix.failWhen('sendEvent', (args) => /dropped/.test(String((args[3] as { body?: string }).body)));
  await session.deliver(FakeSession.text(CAROL, '2', '2'));
  await until('the summary failing', () => h.log.lines.some((l) => l.level === 'warn' && /summary of dropped message-request messages/.test(l.text)), 4000);
  assert.ok(await h.store.requests.drops(ALICE), 'still counted');
  h.matrix.heal('sendEvent');
  await until('the summary after the retry', () => notices(h).some((n) => /dropped/.test(n)));
  assert.equal(await h.store.requests.drops(ALICE), undefined);
});

test('with requests off, a message from anyone opens a portal at once', async (t) => {
  const h = await harness(t, (c) => void (c.bridge.message_requests.enabled = false));
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'm-1', 'hi'));
  assert.ok((await h.store.portals.get(ALICE, SAM))?.roomId);
  assert.equal(notices(h).length, 0);
});

test('a held message that no longer opens does not stall the accept: the rest is delivered and the room told', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  for (const id of ['a', 'b', 'c']) await session.deliver(FakeSession.text(SAM, id, id));
  h.store.connection.prepare(`UPDATE request_messages SET message = 'damaged' WHERE remote_id = 'b'`).run();
  const [reply] = await h.command(ALICE, `accept ${SAM}`);
  assert.match(reply, /with the 2 messages they sent/);
  const room = (await h.store.portals.get(ALICE, SAM))!.roomId!;
  assert.deepEqual(bodiesIn(h, room), ['a', 'c']);
  const bodies = h.matrix.inRoom(room).map((e) => String(e.content.body));
  assert.ok(bodies.some((b) => /1 message from \+1 415 555 2671 was lost in the bridge's storage/.test(b)), 'named as what it is');
  assert.ok(!bodies.some((b) => /could not be decrypted/.test(b)), 'it was decrypted once: not blamed on the sender');
  assert.match(reply, /1 the bridge stored could not be read back \(a damaged database\)/);
  assert.ok(h.log.lines.some((l) => l.level === 'error' && /does not open/.test(l.text)));
});

test('accept and decline read a number as block and unblock do: typed with spaces and brackets, or refused with the same words', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  for (const input of ['12ab', '+999', '   ']) {
    const [declined] = await h.command(ALICE, `decline ${input}`);
    const [unblocked] = await h.command(ALICE, `unblock ${input}`);
    assert.equal(declined, unblocked, `the same answer to "${input}"`);
    assert.match(declined, input.trim() ? /is not a valid phone number/ : /no number given/);
  }
  await session.deliver(FakeSession.text(SAM, 'm-1', 'hello'));
  const [reply] = await h.command(ALICE, 'accept +1 (415) 555-2671');
  assert.match(reply, /^Accepted \+1 415 555 2671/);
});
