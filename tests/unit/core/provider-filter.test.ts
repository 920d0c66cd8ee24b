// Providers over the fake ports: a message from a provider the user blocked (by choice or by
// bridge.providers.default) is acknowledged and dropped before any Matrix event, room or
// message request, and counted; an allowed one passes; receipts and typing from a blocked
// provider's contact are dropped too; the drops are summarised in the management room at most
// once per interval, retried when the homeserver fails, and kept across a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { startCoreHarness, FakeSession, type CoreHarness } from '../../helpers/core-harness';
import type { BridgeConfig } from '../../../src/config/types';
import type { E164 } from '../../../src/network/phone';
import type { RemoteMessage } from '../../../src/network/remote-network';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;
const PAT = '+4915112345670' as E164;
const MANAGEMENT = '!alice-management:example.org';

async function harness(
  t: { after(fn: () => Promise<void>): void }, adjust?: (c: BridgeConfig) => void, dir?: string,
): Promise<CoreHarness> {
  const h = await startCoreHarness({ dir, adjust });
  t.after(() => h.stop());
  await h.store.users.ensure(ALICE);
  await h.store.users.setManagementRoom(ALICE, MANAGEMENT);
  return h;
}

/** a text message from `from` on `provider` (plainchat: no end-to-end encryption) */
function on(provider: 'native' | 'plainchat', from: E164, id: string, body = 'hello'): RemoteMessage {
  const message = FakeSession.text(from, id, body);
  const e2ee = provider === 'native';
  return { ...message, sender: { provider, e2ee, bridged: false }, encrypted: e2ee };
}

const notices = (h: CoreHarness) => h.matrix.inRoom(MANAGEMENT).map((e) => String(e.content.body));
const summaries = (h: CoreHarness) => notices(h).filter((n) => /from providers you blocked/.test(n));
/** every Matrix call since call number `from` that is not a notice in the management room */
const effectsSince = (h: CoreHarness, from: number) => h.matrix.calls.slice(from).filter(([m, args]) => !(m === 'sendEvent' && args[1] === MANAGEMENT));
const drops = (h: CoreHarness) => h.metrics.calls.filter((c) => c.call === 'providerBlocked').map((c) => c.call === 'providerBlocked' && c.kind);

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

test('a blocked provider\'s message is acked and dropped: no Matrix call, no request, counted in the store and the metric', async (t) => {
  const h = await harness(t, (c) => {
    c.bridge.message_requests.enabled = true;
  });
  const session = await h.login(ALICE, ALICE_PHONE);
  const [reply] = await h.command(ALICE, 'block plainchat');
  assert.match(reply, /^Blocked plainchat: messages, receipts and typing from anyone on it are dropped/);
  assert.equal(session.count('setBlockList'), 0, 'a provider block is not a number block list');
  const before = h.matrix.calls.length;
  const delivered = await session.deliver(on('plainchat', SAM, 'p-1', 'secret words'));
  assert.equal(delivered.acked(), 1);
  assert.deepEqual(effectsSince(h, before), [], 'no room, no invite, no event: only the summary may be said, in the management room');
  assert.equal(await h.store.requests.get(ALICE, SAM), undefined, 'no message request');
  assert.equal(await h.store.portals.get(ALICE, SAM), undefined);
  assert.equal((await h.store.providers.drops(ALICE))?.messages, 1, 'counted');
  assert.deepEqual(drops(h), ['message']);
  await until('the first summary', () => summaries(h).length === 1);
  assert.equal(await h.store.providers.drops(ALICE), undefined, 'the summary cleared what it reported');
  assert.doesNotMatch(notices(h).join('\n'), /Message request/, 'no request notice');
  assert.ok(h.log.lines.every((l) => !l.text.includes('secret words') && !l.text.includes(SAM)), 'neither body nor number logged');
  assert.ok(h.log.lines.some((l) => l.level === 'debug' && /dropped a message from blocked provider plainchat/.test(l.text)));
});

test('an allowed provider passes; a blocked provider stops an existing chat, its receipts and typing, with the chat named in the answer', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(on('plainchat', PAT, 'p-1', 'before the block'));
  const room = (await h.store.portals.get(ALICE, PAT))?.roomId;
  assert.ok(room, 'allowed by default: the message opened a portal');
  assert.deepEqual(h.matrix.inRoom(room).filter((e) => e.asUser !== h.matrix.botUserId).map((e) => e.content.body), ['before the block']);
  const [reply] = await h.command(ALICE, 'block PlainChat');
  assert.match(reply, /You have a chat with people on it: it stays, but nothing more from them arrives/);
  const before = h.matrix.calls.length;
  await session.deliver(on('plainchat', PAT, 'p-2', 'after the block'));
  await session.handler.onTyping(PAT, true);
  let receiptAcked = 0;
  await session.handler.onStatus(PAT, 'read', ['m-1'], async () => void (receiptAcked += 1));
  assert.equal(receiptAcked, 1, 'the dropped receipt is acknowledged');
  assert.deepEqual(effectsSince(h, before), [], 'nothing in the chat room: no message, typing or receipt');
  assert.deepEqual(drops(h), ['message', 'typing', 'receipt']);
  // another provider is not touched
  await session.deliver(on('native', SAM, 'n-1', 'native still arrives'));
  const samRoom = (await h.store.portals.get(ALICE, SAM))?.roomId;
  assert.ok(samRoom);
  assert.deepEqual(h.matrix.inRoom(samRoom).filter((e) => e.asUser !== h.matrix.botUserId).map((e) => e.content.body), ['native still arrives']);
  // allowed again: new messages arrive, the dropped one does not come back
  assert.match((await h.command(ALICE, 'allow plainchat'))[0], /^Allowed plainchat: people on it can reach you again \(new messages only.*no end-to-end encryption/);
  await session.deliver(on('plainchat', PAT, 'p-3', 'allowed again'));
  assert.deepEqual(h.matrix.inRoom(room).filter((e) => e.asUser !== h.matrix.botUserId).map((e) => e.content.body), ['before the block', 'allowed again']);
});

test('default allow-e2ee-only: a provider without end-to-end encryption is blocked until the user allows it; providers says so', async (t) => {
  const h = await harness(t, (c) => {
    c.bridge.providers.default = 'allow-e2ee-only';
  });
  const session = await h.login(ALICE, ALICE_PHONE);
  const [list] = await h.command(ALICE, 'providers');
  assert.match(list, /• native: end-to-end encrypted; allowed \(default\)/);
  assert.match(list, /• plainchat: no end-to-end encryption; blocked \(default\)/);
  assert.match(list, /Default: providers with end-to-end encryption may reach you; those without are blocked unless you allow them/);
  await session.deliver(on('plainchat', PAT, 'p-1'));
  assert.equal(await h.store.portals.get(ALICE, PAT), undefined, 'dropped by the default');
  await session.deliver(on('native', SAM, 'n-1'));
  assert.ok((await h.store.portals.get(ALICE, SAM))?.roomId, 'an e2ee provider passes');
  await h.command(ALICE, 'allow plainchat');
  assert.match((await h.command(ALICE, 'providers'))[0], /• plainchat: no end-to-end encryption; allowed \(your choice\)/);
  await session.deliver(on('plainchat', PAT, 'p-2'));
  assert.ok((await h.store.portals.get(ALICE, PAT))?.roomId, 'allowed by the user');
});

test('default block: nothing reaches the user until a provider is allowed; a choice outlives a change of default', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'provider-default-'));
  const h = await harness(t, (c) => {
    c.bridge.providers.default = 'block';
  }, dir);
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(on('native', SAM, 'n-1'));
  assert.equal(await h.store.portals.get(ALICE, SAM), undefined);
  await h.command(ALICE, 'allow native');
  await session.deliver(on('native', SAM, 'n-2'));
  assert.ok((await h.store.portals.get(ALICE, SAM))?.roomId);
  await h.stop();
  const again = await harness(t, (c) => {
    c.bridge.providers.default = 'allow';
  }, dir);
  await again.command(ALICE, 'block native');
  const session2 = await again.login(ALICE, ALICE_PHONE);
  await session2.deliver(on('plainchat', PAT, 'p-1'));
  assert.ok((await again.store.portals.get(ALICE, PAT))?.roomId, 'the new default lets plainchat through');
  const before = again.matrix.inRoom((await again.store.portals.get(ALICE, SAM))?.roomId ?? '').length;
  await session2.deliver(on('native', SAM, 'n-3'));
  assert.equal(again.matrix.inRoom((await again.store.portals.get(ALICE, SAM))?.roomId ?? '').length, before, 'the stored choice still blocks native');
});

test('commands: unknown provider names the known ones; block of a number still works; already blocked; network without a list', async (t) => {
  const h = await harness(t, (c) => {
    c.bridge.message_requests.enabled = true;
  });
  const session = await h.login(ALICE, ALICE_PHONE);
  assert.match((await h.command(ALICE, 'block chatplain'))[0], /^There is no provider "chatplain"; nothing was changed\. Known providers: native, plainchat\./);
  assert.match((await h.command(ALICE, 'allow nosuch'))[0], /^There is no provider "nosuch"; nothing was changed/);
  assert.match((await h.command(ALICE, 'block 12ab'))[0], /is not a valid phone number/, 'digits: still a number');
  assert.match((await h.command(ALICE, `block ${SAM}`))[0], /^Blocked \+1 415 555 2671\./, 'a number is still blocked as a number');
  assert.equal(await h.store.blocks.isBlocked(ALICE, SAM), true);
  // a waiting request from the provider is declined with the block
  await session.deliver(on('plainchat', PAT, 'p-1'));
  assert.ok(await h.store.requests.get(ALICE, PAT));
  const [blocked] = await h.command(ALICE, 'block plainchat');
  assert.match(blocked, /1 waiting message request from it was declined/);
  assert.equal(await h.store.requests.get(ALICE, PAT), undefined);
  assert.match((await h.command(ALICE, 'block plainchat'))[0], /plainchat is already blocked/);
  // a network that cannot list its providers: what the bridge has seen, and the choices made
  // (the declined request took what was seen of plainchat with it; the choice stays)
  h.network.providers = 'unsupported';
  const [list] = await h.command(ALICE, 'providers');
  assert.match(list, /• plainchat: encryption unknown; blocked \(your choice\)/);
  assert.doesNotMatch(list, /• native/, 'native was never seen for this user');
  assert.match(list, /Only providers the bridge has seen are listed: this network cannot list its providers/);
  // the network's list failing for a while: its last answer is used
  h.network.providers = [{ id: 'native', e2ee: true, displayName: 'Native' }, { id: 'plainchat', e2ee: false }];
  await h.command(ALICE, 'providers');
  session.fail('listProviders', 1, () => new Error('connection lost'));
  const [cached] = await h.command(ALICE, 'providers');
  assert.match(cached, /• native \("Native"\): end-to-end encrypted; allowed \(default\)/);
  assert.match(cached, /The network's list is as it last answered: the network did not answer \(connection lost\)/);
});

test('the summary: the first drop at once, then at most once per interval, with the counts per provider', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  await h.command(ALICE, 'block plainchat');
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.now() });
  const settle = async () => {
    for (let i = 0; i < 20; i++) await tick();
  };
  await session.deliver(on('plainchat', SAM, 'p-1'));
  t.mock.timers.tick(1);
  await settle();
  assert.deepEqual(summaries(h).length, 1);
  assert.match(summaries(h)[0], /^🚫 1 message from providers you blocked was dropped: plainchat \(1\)/);
  await session.deliver(on('plainchat', SAM, 'p-2'));
  await session.deliver(on('plainchat', PAT, 'p-3'));
  t.mock.timers.tick(23 * 3600 * 1000);
  await settle();
  assert.equal(summaries(h).length, 1, 'no second summary within the interval');
  assert.equal((await h.store.providers.drops(ALICE))?.messages, 2, 'the later drops wait, counted');
  t.mock.timers.tick(3600 * 1000);
  await settle();
  assert.equal(summaries(h).length, 2);
  assert.match(summaries(h)[1], /^🚫 2 messages from providers you blocked were dropped since .* UTC: plainchat \(2\)/);
  assert.equal(await h.store.providers.drops(ALICE), undefined);
  t.mock.timers.reset();
});

test('a summary the homeserver refuses is retried with backoff until it is sent, once', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  await h.command(ALICE, 'block plainchat');
  h.matrix.failWhen('sendEvent', (args) => args[1] === MANAGEMENT);
  await session.deliver(on('plainchat', SAM, 'p-1'));
  await until('a few failed tries', () => h.log.lines.filter((l) => l.level === 'warn' && /summary of messages dropped from blocked providers/.test(l.text)).length >= 3);
  assert.equal(summaries(h).length, 0);
  assert.equal((await h.store.providers.drops(ALICE))?.messages, 1, 'still counted while it fails');
  h.matrix.heal('sendEvent');
  await until('the summary after the retries', () => summaries(h).length === 1);
  const txnIds = h.matrix.calls.filter(([m, args]) => m === 'sendEvent' && args[1] === MANAGEMENT).map(([, args]) => args[4]);
  assert.ok(txnIds.length >= 4 && new Set(txnIds).size === 1, 'every try is the same transaction');
  assert.equal(await h.store.providers.drops(ALICE), undefined);
});

test('drops survive a restart: counts and choices are in the store, and the next start sends the summary', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'provider-restart-'));
  const h = await harness(t, undefined, dir);
  const session = await h.login(ALICE, ALICE_PHONE);
  await h.command(ALICE, 'block plainchat');
  h.matrix.failWhen('sendEvent', (args) => args[1] === MANAGEMENT);
  await session.deliver(on('plainchat', SAM, 'p-1'));
  await session.deliver(on('plainchat', PAT, 'p-2'));
  await until('the summary failing', () => h.log.lines.some((l) => l.level === 'warn' && /summary of messages dropped from blocked providers/.test(l.text)));
  await h.stop();
  const again = await harness(t, undefined, dir);
  await until('the summary after the restart', () => summaries(again).length === 1);
  assert.match(summaries(again)[0], /2 messages from providers you blocked were dropped: plainchat \(2\)/);
  const session2 = await again.login(ALICE, ALICE_PHONE);
  await session2.deliver(on('plainchat', SAM, 'p-3'));
  assert.equal(await again.store.portals.get(ALICE, SAM), undefined, 'still blocked after the restart');
});

test('a message waiting in line (the homeserver failing) when its provider is blocked is dropped, not shown, once the line moves', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(on('plainchat', PAT, 'p-1', 'before'));
  const room = (await h.store.portals.get(ALICE, PAT))?.roomId;
  assert.ok(room);
  h.matrix.failWhen('sendEvent', (args) => args[1] === room);
  // counted from here: p-1's own events must not satisfy the wait before p-2 ever failed
  const since = h.matrix.calls.length;
  const waiting = session.deliver(on('plainchat', PAT, 'p-2', 'waited in line'));
  await until('the message failing a few times', () => h.matrix.calls.slice(since).filter(([m, args]) => m === 'sendEvent' && args[1] === room).length >= 3);
  await h.command(ALICE, 'block plainchat');
  h.matrix.heal('sendEvent');
  const delivered = await waiting;
  assert.equal(delivered.acked(), 1, 'acknowledged, so the network forgets it');
  assert.deepEqual(h.matrix.inRoom(room).filter((e) => e.asUser !== h.matrix.botUserId).map((e) => e.content.body), ['before']);
  assert.deepEqual(drops(h), ['message']);
  await until('the summary', () => summaries(h).length === 1);
  assert.match(summaries(h)[0], /plainchat \(1\)/);
});
