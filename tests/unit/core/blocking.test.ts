// block / unblock / blocked over the fake network: the list reaches the network after each
// change and at each connect; whatever still arrives from a blocked number is acknowledged and
// dropped before any Matrix event exists; a network without block lists is said once; a
// network that cannot be reached is retried until it confirms, and the user is told both
// that it has not confirmed and, later, that it has; bad numbers get a clear answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCoreHarness, unreachable, FakeSession, type CoreHarness } from '../../helpers/core-harness';
import { RemoteRefusedError } from '../../../src/network/remote-network';
import type { E164 } from '../../../src/network/phone';
import { MAX_BLOCKLIST } from '../../../src/protocol/frames';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;
const CAROL = '+4915112345670' as E164;
const MANAGEMENT = '!alice-management:example.org';

async function harness(t: { after(fn: () => Promise<void>): void }): Promise<CoreHarness> {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  await h.store.users.ensure(ALICE);
  await h.store.users.setManagementRoom(ALICE, MANAGEMENT);
  return h;
}

const notices = (h: CoreHarness) => h.matrix.inRoom(MANAGEMENT).map((e) => String(e.content.body));
/** Matrix events sent anywhere but the management room */
const chatEvents = (h: CoreHarness) => h.matrix.calls.filter(([m, args]) => (m === 'sendEvent' && args[1] !== MANAGEMENT) || m === 'createPortalRoom');

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

test('a blocked number: the network gets the list, and what still arrives is acked and dropped before any Matrix event', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  const [reply] = await h.command(ALICE, `block ${SAM}`);
  assert.match(reply, /^Blocked \+1 415 555 2671\. The network drops what they send you/);
  assert.doesNotMatch(reply, /chat room/, 'no portal yet, so none is mentioned');
  assert.deepEqual(session.blockLists, [[SAM]]);

  const message = await session.deliver(FakeSession.text(SAM, 'm-1', 'hello'));
  assert.equal(message.acked(), 1, 'acknowledged, so the network forgets it');
  let acks = 0;
  const ack = async () => void (acks += 1);
  await session.handler.onStatus(SAM, 'read', ['x'], ack);
  await session.handler.onUnreadable({ from: SAM, reason: 'bad', serverTimestamp: Date.now(), encrypted: true }, ack);
  await session.handler.onTyping(SAM, true);
  assert.equal(acks, 2);
  assert.deepEqual(chatEvents(h), [], 'no portal, no event, no typing, no receipt');
  assert.equal(h.matrix.count('setTyping'), 0);
  const drops = h.log.lines.filter((l) => l.level === 'debug' && /from a blocked contact/.test(l.text));
  assert.equal(drops.length, 4);
  assert.ok(drops.every((l) => !l.text.includes(SAM) && !l.text.includes('4155552671')), 'the count is logged without the number');
  assert.deepEqual(h.metrics.calls.filter((c) => c.call === 'blocked'), [
    { call: 'blocked', kind: 'message' }, { call: 'blocked', kind: 'receipt' }, { call: 'blocked', kind: 'message' }, { call: 'blocked', kind: 'typing' },
  ], 'each drop counted by kind');

  // someone else still gets through
  const other = await session.deliver(FakeSession.text(CAROL, 'c-1', 'hi'));
  assert.equal(other.acked(), 1);
  assert.ok(h.matrix.count('createPortalRoom') === 1, "Carol's message made a portal");
});

test('blocking a contact with a portal keeps the room and says nothing more arrives; unblock restores new messages', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'm-1', 'before'));
  const room = (await h.store.portals.get(ALICE, SAM))?.roomId;
  assert.ok(room);
  const [reply] = await h.command(ALICE, `block ${SAM}`);
  assert.match(reply, /Your chat room with them stays, but nothing more from them arrives in it\./);
  await session.deliver(FakeSession.text(SAM, 'm-2', 'while blocked'));
  assert.equal((await h.store.messages.byRemoteId(ALICE, SAM, 'm-2')).length, 0);
  const inRoom = () => h.matrix.inRoom(room).filter((e) => e.eventType === 'm.room.message' && e.asUser !== h.matrix.botUserId).map((e) => e.content.body);
  assert.deepEqual(inRoom(), ['before']);

  const [unblocked] = await h.command(ALICE, `unblock ${SAM}`);
  assert.match(unblocked, /^Unblocked .*New messages from them reach you again; what they sent while blocked is gone\.$/);
  assert.deepEqual(session.blockLists.at(-1), [], 'the network was told too');
  await session.deliver(FakeSession.text(SAM, 'm-3', 'after'));
  assert.deepEqual(inRoom(), ['before', 'after'], 'the one sent while blocked stays gone');
});

test('a message that was waiting for the homeserver when its sender got blocked is dropped, not bridged later', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'm-1', 'before'));
  const room = (await h.store.portals.get(ALICE, SAM))?.roomId as string;
  h.matrix.fail('sendEvent', Infinity);
  const attempts = h.matrix.count('sendEvent');
  const waiting = session.deliver(FakeSession.text(SAM, 'm-2', 'waiting'));
  await until('a failed attempt', () => h.matrix.count('sendEvent') > attempts);
  await h.command(ALICE, `block ${SAM}`);
  h.matrix.heal();
  assert.equal((await waiting).acked(), 1, 'acknowledged, so the network forgets it');
  assert.equal((await h.store.messages.byRemoteId(ALICE, SAM, 'm-2')).length, 0);
  const bodies = h.matrix.inRoom(room).filter((e) => e.asUser !== h.matrix.botUserId).map((e) => e.content.body);
  assert.deepEqual(bodies.filter((b) => b !== undefined), ['before']);
});

test('refusals: a bad number, no number, your own number, blocking twice, unblocking someone not blocked, a full list', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  assert.match((await h.command(ALICE, 'block 12ab'))[0], /^"12ab" is not a valid phone number/);
  assert.match((await h.command(ALICE, 'block'))[0], /no number given/);
  assert.match((await h.command(ALICE, `block ${ALICE_PHONE}`))[0], /is your own number; nothing was changed/);
  assert.match((await h.command(ALICE, 'unblock +999'))[0], /is not a valid phone number/);
  await h.command(ALICE, `block ${SAM}`);
  assert.match((await h.command(ALICE, `block ${SAM}`))[0], /is already blocked/);
  assert.match((await h.command(ALICE, `unblock ${CAROL}`))[0], /is not blocked; nothing was changed/);
  assert.equal(session.blockLists.length, 1, 'refusals sent nothing to the network');
  // the number as `blocked` shows it (with spaces) is accepted
  assert.match((await h.command(ALICE, 'unblock +1 415 555 2671'))[0], /^Unblocked/);
  await h.command(ALICE, `block ${SAM}`);
  for (let i = 1; i < MAX_BLOCKLIST; i++) await h.store.blocks.add(ALICE, `+4930${String(1_000_000 + i)}`);
  assert.match((await h.command(ALICE, `block ${CAROL}`))[0], new RegExp(`You have blocked ${MAX_BLOCKLIST} numbers.*Nothing was changed`));
  assert.equal(await h.store.blocks.isBlocked(ALICE, CAROL), false);
});

test('a network without block lists is said once; the bridge still drops', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  session.blockListOutcome = 'unsupported';
  const [first] = await h.command(ALICE, `block ${SAM}`);
  assert.match(first, /This network has no block lists: messages from the numbers you block still reach the bridge, which drops them/);
  const [second] = await h.command(ALICE, `block ${CAROL}`);
  assert.doesNotMatch(second, /still reach the bridge/, 'not repeated');
  assert.match(second, /The bridge drops what they send \(this network has no block lists\)/);
  const delivered = await session.deliver(FakeSession.text(SAM, 'm-1', 'hello'));
  assert.equal(delivered.acked(), 1);
  assert.deepEqual(chatEvents(h), []);
  assert.match((await h.command(ALICE, 'blocked'))[0], /This network has no block lists; the bridge drops what they send\./);
});

test('an unreachable network: told it is not confirmed, retried until it is, then told that', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  session.fail('setBlockList', 3, unreachable);
  const [reply] = await h.command(ALICE, `block ${SAM}`);
  assert.match(reply, /The network has not confirmed this yet \(connect ECONNREFUSED .*\); the bridge keeps asking and drops anything from them meanwhile\. You will be told when the network confirms\./);
  assert.match((await h.command(ALICE, 'blocked'))[0], /not confirmed your latest change yet/);
  await until('the confirmation notice', () => notices(h).some((n) => /The network has now confirmed your block list/.test(n)));
  assert.equal(session.count('setBlockList'), 4, 'three failures, then the retry that worked');
  assert.deepEqual(session.blockLists, [[SAM]]);
  assert.equal((await h.store.blocks.syncState(ALICE))?.state, 'network');
  assert.ok(h.log.lines.some((l) => l.level === 'warn' && /block list of @alice:example.org not confirmed by the network/.test(l.text)), 'each failed attempt is logged');
  assert.match((await h.command(ALICE, 'blocked'))[0], /^You blocked 1:\n• \+1 415 555 2671, since \d{4}-\d\d-\d\d\nThe network drops what they send\.$/);
});

test('a network slow to answer: the command does not wait for it, and an earlier confirmation is not taken for this one', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  await h.command(ALICE, `block ${CAROL}`);
  assert.equal((await h.store.blocks.syncState(ALICE))?.state, 'network');
  h.core.blockSync.commandWaitMs = 20;
  let answer = () => {};
  session.blockListGate = new Promise<void>((resolve) => (answer = resolve));
  const [reply] = await h.command(ALICE, `block ${SAM}`);
  assert.match(reply, /The network has not confirmed this yet \(no answer from the network yet\)/);
  assert.match((await h.command(ALICE, 'blocked'))[0], /not confirmed your latest change yet/);
  answer();
  await until('the confirmation notice', () => notices(h).some((n) => /now confirmed your block list/.test(n)));
  assert.deepEqual(session.blockLists.at(-1)?.sort(), [SAM, CAROL].sort());
  assert.equal((await h.store.blocks.syncState(ALICE))?.state, 'network');
});

test('a refused list is said, and the bridge blocks anyway', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  session.fail('setBlockList', 1, () => new RemoteRefusedError('blocklist.set: invalid_params: too long', 'invalid_params'));
  const [reply] = await h.command(ALICE, `block ${SAM}`);
  assert.match(reply, /The network refused the block list \(blocklist.set: invalid_params: too long\); the bridge drops what they send instead\./);
  assert.equal((await session.deliver(FakeSession.text(SAM, 'm-1', 'x'))).acked(), 1);
  assert.deepEqual(chatEvents(h), []);
});

test('a block made while logged out goes to the network at the next connect, and is confirmed by notice', async (t) => {
  const h = await harness(t);
  await h.store.users.ensure(ALICE);
  const [reply] = await h.command(ALICE, `block ${SAM}`);
  assert.match(reply, /not confirmed this yet \(not connected to the network\)/);
  const session = await h.login(ALICE, ALICE_PHONE);
  await until('the list at the network', () => session.blockLists.length === 1);
  assert.deepEqual(session.blockLists, [[SAM]]);
  await until('the confirmation notice', () => notices(h).some((n) => /now confirmed your block list/.test(n)));

  // every later connect sends it again (a gateway that lost its database still learns it)
  await h.core.sessions.disconnect(ALICE);
  const again = await h.login(ALICE, ALICE_PHONE);
  await until('the list sent again', () => again.blockLists.length === 1);
  assert.equal(notices(h).filter((n) => /now confirmed/.test(n)).length, 1, 'confirmed once, not at every connect');
});

test('with nothing blocked and nothing pending, a connect sends no list', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  // a sync would run in core's keyed queue: once it is idle, none is under way
  await h.core.queue.idle();
  assert.equal(session.count('setBlockList'), 0);
  assert.match((await h.command(ALICE, 'blocked'))[0], /^You have blocked no one\.$/);
});
