// The login lifecycle over the fake network: a logout while a connect is in flight leaves no
// live session and the next login connects; login with the network down answers within
// seconds and finishes once it is back; a subscription the network ends is a terminal state
// with one notice; a blip shorter than the debounce is no notice, a longer drop is one notice
// on the way down and one on the way back; `logout` refuses someone else's number; `status`
// shows the caller's state, and every login's to admins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCoreHarness, type CoreHarness } from '../../helpers/core-harness';
import { RemoteUnavailableError } from '../../../src/network/remote-network';
import type { E164 } from '../../../src/network/phone';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const BOB = '@bob:example.org';
const BOB_PHONE = '+4915112345679' as E164;
const MANAGEMENT = '!alice-management:example.org';
const DEBOUNCE_MS = 150;

async function harness(t: { after(fn: () => Promise<void>): void }): Promise<CoreHarness> {
  const h = await startCoreHarness({ adjust: (c) => (c.bridge.connection_notice_delay_ms = DEBOUNCE_MS) });
  t.after(() => h.stop());
  await h.store.users.ensure(ALICE);
  await h.store.users.setManagementRoom(ALICE, MANAGEMENT);
  return h;
}

/** notice bodies the bot sent to Alice's management room */
const notices = (h: CoreHarness) => h.matrix.inRoom(MANAGEMENT).map((e) => String(e.content.body));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

test('a logout while a connect is in flight leaves no live session, and the next login connects', async (t) => {
  const h = await harness(t);
  await h.store.logins.put(ALICE, ALICE_PHONE, {});
  const release = h.network.holdConnect();
  const connecting = h.core.sessions.connect((await h.store.logins.get(ALICE))!);
  assert.equal(h.core.sessions.state(ALICE)?.state, 'connecting');
  const replies = await h.command(ALICE, 'logout');
  assert.match(replies[0], /^Logged out of/);
  release();
  await connecting;
  assert.equal(h.core.sessions.get(ALICE), undefined, 'no live session after the logout');
  assert.equal(h.core.sessions.state(ALICE), undefined);
  assert.equal(h.network.sessions.get(ALICE)?.disconnected, true, 'the late session was closed');

  await h.command(ALICE, `login ${ALICE_PHONE}`);
  const done = await h.command(ALICE, 'code 123456');
  assert.match(done[0], /^Logged in as .*now reach you here/);
  assert.equal(h.core.sessions.state(ALICE)?.state, 'connected');
  assert.ok(h.core.sessions.get(ALICE));
  assert.equal(h.network.sessions.get(ALICE)?.disconnected, false);
});

test('login with the network down answers at its first refusal and connects once it is back', async (t) => {
  const h = await harness(t);
  let refusals = 0;
  h.network.refuseLogin = () => {
    refusals++;
    return new RemoteUnavailableError();
  };
  h.network.refuseConnect = () => new RemoteUnavailableError();
  const replies = await h.command(ALICE, `login ${ALICE_PHONE}`);
  // the answer does not wait for the retries: they go on in the background
  assert.equal(refusals, 1, 'answered after the first refusal');
  assert.equal(replies.length, 2);
  assert.match(replies[0], /^Before .* is linked: what this means/);
  assert.match(replies[1], /^The Fake network is not reachable right now\. I keep trying with your answer/);
  assert.equal(await h.core.expectsCode(ALICE), false, 'no code was requested');

  // once it is back, the number retried in the background goes through (nothing resent)
  h.network.refuseLogin = undefined;
  await until('the code request after the network came back', () => replies.length === 4);
  assert.match(replies[2], /reachable again: your answer went through/);
  assert.match(replies[3], /^The network is sending a one-time code/);
  assert.equal(await h.core.expectsCode(ALICE), true);

  const done = await h.command(ALICE, 'code 123456');
  assert.match(done[0], /^Logged in as .*not reachable right now; retrying…/);
  assert.equal(h.core.sessions.state(ALICE)?.state, 'backing_off');
  h.network.refuseConnect = undefined;
  await until('connected', () => h.core.sessions.state(ALICE)?.state === 'connected');
  assert.ok(h.core.sessions.get(ALICE));
});

test('a subscription the network ends is a terminal state with one notice', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  session.handler.onSessionEnded?.('device_removed');
  await until('the end notice', () => notices(h).length === 1);
  const status = h.core.sessions.state(ALICE);
  assert.equal(status?.state, 'device_removed');
  assert.equal(h.core.sessions.get(ALICE), undefined);
  assert.equal(session.disconnected, true);
  assert.match(notices(h)[0], /^⛔ \+49 1511 2345678 is logged out\n/);
  assert.match(notices(h)[0], /send `login \+49 1511 2345678` here/);
  // the network's later connection events change nothing: it stays ended, no further notices
  session.handler.onConnectionChange(false);
  session.handler.onConnectionChange(true);
  await sleep(DEBOUNCE_MS * 2);
  assert.equal(h.core.sessions.state(ALICE)?.state, 'device_removed');
  assert.equal(notices(h).length, 1);
  const [reply] = await h.command(ALICE, 'status');
  assert.match(reply, /logged out by the network \(device_removed\)/);
  // logging in again is possible straight away
  const relogin = await h.command(ALICE, `login ${ALICE_PHONE}`);
  assert.match(relogin[0], /^Your previous login of \+49 1511 2345678 had been ended by the Fake network; what was left of it is cleared\. Deleted: the login record\. Kept: /);
  assert.match(relogin[2], /^The network is sending a one-time code/);
  await h.command(ALICE, 'code 123456');
  assert.equal(h.core.sessions.state(ALICE)?.state, 'connected');
});

test('a blip shorter than the debounce is no notice', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  session.handler.onConnectionChange(false);
  assert.equal(h.core.sessions.state(ALICE)?.state, 'backing_off');
  await sleep(DEBOUNCE_MS / 5);
  session.handler.onConnectionChange(true);
  assert.equal(h.core.sessions.state(ALICE)?.state, 'connected');
  await sleep(DEBOUNCE_MS * 2);
  assert.deepEqual(notices(h), []);
});

test('a drop longer than the debounce is one notice down and one on return', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  session.handler.onConnectionChange(false);
  await sleep(DEBOUNCE_MS * 2);
  assert.equal(notices(h).length, 1);
  assert.match(notices(h)[0], /^📴 \+49 1511 2345678 is not connected to the Fake network\n/);
  assert.match(notices(h)[0], /nothing is lost/);
  const [status] = await h.command(ALICE, 'status');
  assert.match(status, /not connected since .*connection to the network lost/);
  session.handler.onConnectionChange(true);
  await until('the return notice', () => notices(h).length === 2);
  assert.match(notices(h)[1], /^✅ \+49 1511 2345678 is connected to the Fake network again/);
  await sleep(DEBOUNCE_MS * 2);
  assert.equal(notices(h).length, 2, 'nothing more');
});

test('a login that cannot connect backs off and keeps retrying; the owner is told once, and when it is back', async (t) => {
  const h = await harness(t);
  h.network.refuseConnect = () => new RemoteUnavailableError();
  await h.store.logins.put(ALICE, ALICE_PHONE, {});
  const first = await h.core.sessions.connect((await h.store.logins.get(ALICE))!);
  assert.equal(first.state, 'backing_off');
  await sleep(DEBOUNCE_MS * 3);
  assert.ok((h.core.sessions.state(ALICE)?.attempts ?? 0) > 3, 'it keeps trying');
  assert.equal(notices(h).length, 1);
  h.network.refuseConnect = undefined;
  await until('connected', () => h.core.sessions.state(ALICE)?.state === 'connected');
  await until('the return notice', () => notices(h).length === 2);
});

test('logout refuses someone else\'s number and logs nobody out', async (t) => {
  const h = await harness(t);
  await h.login(ALICE, ALICE_PHONE);
  const [refused] = await h.command(ALICE, `logout ${BOB_PHONE}`);
  assert.match(refused, /^Nothing was logged out: "\+4915112345679" is not your login/);
  assert.ok(await h.store.logins.get(ALICE));
  assert.equal(h.core.sessions.state(ALICE)?.state, 'connected');
  const [junk] = await h.command(ALICE, 'logout now please');
  assert.match(junk, /^Nothing was logged out/);
  const [own] = await h.command(ALICE, 'logout +49 1511 2345678');
  assert.match(own, /^Logged out of/);
  assert.equal(await h.store.logins.get(ALICE), undefined);
});

test('status: the caller\'s own state; admins see every login', async (t) => {
  const h = await harness(t);
  await h.login(ALICE, ALICE_PHONE);
  h.network.refuseConnect = () => new RemoteUnavailableError('gateway down');
  await h.store.users.ensure(BOB);
  await h.store.logins.put(BOB, BOB_PHONE, {});
  await h.core.sessions.connect((await h.store.logins.get(BOB))!);
  const [mine] = await h.command(ALICE, 'status');
  assert.match(mine, /^\+49 1511 2345678: connected to the Fake network/);
  assert.doesNotMatch(mine, /@bob/);
  const [admin] = await h.command(ALICE, 'status', 'admin');
  assert.match(admin, /All logins \(2\):/);
  assert.match(admin, /• @alice:example.org — CONNECTED: /);
  assert.match(admin, /• @bob:example.org — TRANSIENT_DISCONNECT: .*gateway down/);
  const states = h.core.sessions.states().map((s) => [s.owner, s.state]);
  assert.deepEqual(states, [[ALICE, 'connected'], [BOB, 'backing_off']]);
  const bridge = h.core.sessions.bridgeStates().map((s) => [s.user_id, s.state_event, s.remote_id]);
  assert.deepEqual(bridge, [[ALICE, 'CONNECTED', ALICE_PHONE], [BOB, 'TRANSIENT_DISCONNECT', BOB_PHONE]]);
  const [refused] = await h.command(ALICE, 'status everything');
  assert.match(refused, /takes no argument/);
});
