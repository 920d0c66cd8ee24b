// Every provisioning endpoint over the real core with a fake network and Matrix side: login
// start and code (with the refusals the flow gives: a bad number, no pending login, a wrong
// code, the network down, already logged in), status through the session lifecycle, start a
// chat, contacts, settings, logout. The API and the bot share one login flow: a login
// started through the API can be finished with the bot's `code` command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RemoteUnavailableError } from '../../../src/network/remote-network';
import type { E164 } from '../../../src/network/phone';
import { ALICE, startApiHarness } from './api-harness';
import { FakeSession } from '../../helpers/core-harness';

const ALICE_PHONE = '+4915112345678';
const SAM = '+14155552671';

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('login start, code, status, start a chat, contacts, logout: the whole life of a login through the API', async (t) => {
  const { call, h } = await startApiHarness(t);

  const before = await call('GET', '/status');
  assert.equal(before.status, 200);
  assert.deepEqual(before.body, { user_id: ALICE, network: 'Fake network', state: 'not_logged_in', logged_in: false, permission: 'user' });

  const noPending = await call('POST', '/login/code', { body: { code: '123456' } });
  assert.equal(noPending.status, 409);
  assert.equal(noPending.body.errcode, 'ORG.INTEROP_BRIDGE.NO_PENDING_LOGIN');

  const invalid = await call('POST', '/login/start', { body: { phone: '12345' } });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.body.errcode, 'M_INVALID_PARAM');
  assert.match(String(invalid.body.error), /12345/);

  const started = await call('POST', '/login/start', { body: { phone: '+49 1511 2345678' } });
  assert.equal(started.status, 200);
  assert.deepEqual(started.body, { state: 'waiting_for_code', phone: ALICE_PHONE });
  assert.equal((await call('GET', '/status')).body.state, 'waiting_for_code');

  // the fake network takes any code but 000000
  const wrong = await call('POST', '/login/code', { body: { code: '000000' } });
  assert.equal(wrong.status, 400);
  assert.equal(wrong.body.errcode, 'ORG.INTEROP_BRIDGE.CODE_REFUSED');
  assert.match(String(wrong.body.error), /That code is wrong/);
  h.network.refuseLogin = () => new RemoteUnavailableError();
  const down = await call('POST', '/login/code', { body: { code: '123456' } });
  assert.equal(down.status, 503);
  assert.equal(down.body.errcode, 'ORG.INTEROP_BRIDGE.NETWORK_UNREACHABLE');
  assert.equal((await call('GET', '/status')).body.state, 'waiting_for_code', 'a refused or unchecked code keeps the login waiting');
  h.network.refuseLogin = undefined;

  const noChat = await call('POST', '/chats', { body: { phone: SAM } });
  assert.equal(noChat.status, 409);
  assert.equal(noChat.body.errcode, 'ORG.INTEROP_BRIDGE.NOT_LOGGED_IN');

  const done = await call('POST', '/login/code', { body: { code: '123456' } });
  assert.equal(done.status, 200);
  assert.deepEqual(done.body, { state: 'connected', logged_in: true, phone: ALICE_PHONE });
  const status = await call('GET', '/status');
  assert.equal(status.body.state, 'connected');
  assert.equal(status.body.logged_in, true);
  assert.equal(status.body.phone, ALICE_PHONE);
  assert.equal(status.body.bridge_state, 'CONNECTED');
  assert.equal(typeof status.body.since, 'number');

  const again = await call('POST', '/login/start', { body: { phone: ALICE_PHONE } });
  assert.equal(again.status, 409);
  assert.equal(again.body.errcode, 'ORG.INTEROP_BRIDGE.ALREADY_LOGGED_IN');

  assert.deepEqual((await call('GET', '/contacts')).body, { contacts: [] });
  const badChat = await call('POST', '/chats', { body: { phone: 'not a number' } });
  assert.equal(badChat.status, 400);
  assert.equal(badChat.body.errcode, 'M_INVALID_PARAM');
  const chat = await call('POST', '/chats', { body: { phone: SAM } });
  assert.equal(chat.status, 200);
  const roomId = String(chat.body.room_id);
  assert.deepEqual(chat.body, { room_id: roomId, phone: SAM, matrix_to: `https://matrix.to/#/${roomId}` });
  assert.equal(h.matrix.rooms.length, 1);
  assert.equal(h.matrix.rooms[0].invitee, ALICE, 'the portal invites the user it belongs to');
  assert.equal((await h.store.portals.get(ALICE, SAM))?.roomId, roomId);
  const twice = await call('POST', '/chats', { body: { phone: SAM } });
  assert.equal(twice.body.room_id, roomId, 'the same contact opens the same room');
  assert.equal(h.matrix.rooms.length, 1);

  const contacts = await call('GET', '/contacts');
  assert.deepEqual(contacts.body, {
    contacts: [{ phone: SAM, room_id: roomId, display_name: '+1 415 555 2671', provider: null, end_to_end_encrypted: null, verified: false }],
  });
  assert.deepEqual((await call('GET', '/contacts', { user: '@bob:example.org' })).body, { contacts: [] }, 'contacts are per user');

  const out = await call('POST', '/logout');
  assert.equal(out.status, 200);
  assert.equal(out.body.state, 'logged_out');
  assert.equal(out.body.phone, ALICE_PHONE);
  assert.equal(out.body.portal_count, 1);
  assert.ok((out.body.deleted as string[]).includes('the login record'));
  assert.equal(h.network.sessions.get(ALICE)?.disconnected, true, 'the session was closed');
  assert.equal(await h.store.logins.get(ALICE), undefined);
  assert.equal((await call('GET', '/status')).body.state, 'not_logged_in');
  const outAgain = await call('POST', '/logout', { body: {} });
  assert.equal(outAgain.status, 409);
  assert.equal(outAgain.body.errcode, 'ORG.INTEROP_BRIDGE.NOT_LOGGED_IN');
});

test('login start with the network down: 202 waiting_for_network, the code requested in the background, then waiting_for_code', async (t) => {
  const { call, h } = await startApiHarness(t);
  let attempts = 0;
  h.network.refuseLogin = () => {
    if (++attempts === 2) h.network.refuseLogin = undefined;
    return new RemoteUnavailableError();
  };
  const down = await call('POST', '/login/start', { body: { phone: ALICE_PHONE } });
  assert.deepEqual([down.status, down.body], [202, { state: 'waiting_for_network', phone: ALICE_PHONE }]);
  const waiting = (await call('GET', '/status')).body.state;
  // the first retry may already have gone through: waiting either for the network or the code
  assert.ok(waiting === 'waiting_for_network' || waiting === 'waiting_for_code', String(waiting));
  await until('the code requested', async () => (await call('GET', '/status')).body.state === 'waiting_for_code');
  assert.equal(attempts, 2);
  assert.ok(h.log.lines.some((l) => l.level === 'info' && /the network is back; the answer went through/.test(l.text)), 'logged');
  const done = await call('POST', '/login/code', { body: { code: '123456' } });
  assert.equal(done.status, 200);
});

test('login start with the network down and the retry finally refused: GET /status shows not_logged_in with the reason', async (t) => {
  const { call, h } = await startApiHarness(t);
  h.network.refuseLogin = () => {
    h.network.refuseLogin = () => new Error('the network asks to wait before trying again');
    return new RemoteUnavailableError();
  };
  const down = await call('POST', '/login/start', { body: { phone: ALICE_PHONE } });
  assert.equal(down.status, 202);
  await until('the retry given up', async () => (await call('GET', '/status')).body.reason !== undefined);
  const status = (await call('GET', '/status')).body;
  assert.deepEqual([status.state, status.reason], ['not_logged_in', 'the network asks to wait before trying again']);
});

test('a code the network refuses is a 400 and the login still waits for the right one', async (t) => {
  const { call, h } = await startApiHarness(t);
  assert.equal((await call('POST', '/login/start', { body: { phone: ALICE_PHONE } })).status, 200);
  const wrong = await call('POST', '/login/code', { body: { code: '000000' } });
  assert.deepEqual([wrong.status, wrong.body.errcode], [400, 'ORG.INTEROP_BRIDGE.CODE_REFUSED']);
  assert.equal((await call('GET', '/status')).body.state, 'waiting_for_code');
  assert.equal((await call('POST', '/login/code', { body: { code: '123456' } })).status, 200);
  assert.equal((await h.store.logins.get(ALICE))?.phone, ALICE_PHONE);
});

test('the API and the bot share one login flow: started through the API, finished with the bot\'s code command', async (t) => {
  const { call, h } = await startApiHarness(t);
  assert.equal((await call('POST', '/login/start', { body: { phone: ALICE_PHONE } })).status, 200);
  const [reply] = await h.command(ALICE, 'code 123456');
  assert.match(reply, /^Logged in as \+49 1511 2345678/);
  assert.equal((await call('GET', '/status')).body.state, 'connected');
  const [bot] = await h.command(ALICE, `login ${ALICE_PHONE}`);
  assert.match(bot, /already logged in/);
});

test('status of an ended login: not logged in any more, with the network\'s reason and the bridge state', async (t) => {
  const { call, h } = await startApiHarness(t);
  const session = await h.login(ALICE, ALICE_PHONE as never);
  session.handler.onSessionEnded?.('device_removed');
  await until('the end', async () => (await call('GET', '/status')).body.state === 'device_removed');
  const status = await call('GET', '/status');
  assert.equal(status.body.logged_in, false);
  assert.equal(status.body.bridge_state, 'BAD_CREDENTIALS');
  assert.equal(status.body.reason, 'device_removed');
  // a new login replaces the ended one
  assert.equal((await call('POST', '/login/start', { body: { phone: ALICE_PHONE } })).status, 200);
});

test('settings: the user\'s (inbox) and the bridge-wide ones read-only; PUT {} changes nothing, PUT inbox moves the portals as the bot\'s command does', async (t) => {
  const { call, h } = await startApiHarness(t);
  const settings = await call('GET', '/settings');
  assert.equal(settings.status, 200);
  assert.deepEqual(settings.body, {
    user: { inbox: 'separate', paused: false, profileShare: false },
    writable: ['inbox', 'paused', 'profileShare'],
    bridge: {
      command_prefix: h.config.bridge.command_prefix,
      show_phone_in_displayname: h.config.bridge.show_phone_in_displayname,
      max_media_bytes: h.config.bridge.max_media_bytes,
      refuse_unencrypted_providers: h.config.security.refuse_unencrypted_providers,
      hold_on_key_change: h.config.security.hold_on_key_change,
    },
  });
  const put = await call('PUT', '/settings', { body: {} });
  assert.equal(put.status, 200);
  assert.deepEqual(put.body, settings.body);
  await h.store.users.ensure(ALICE);
  const portal = await h.core.portals.ensure(ALICE, SAM as E164);
  const space = (await h.store.users.get(ALICE))!.inboxSpace!;
  const merged = await call('PUT', '/settings', { body: { inbox: 'merged' } });
  assert.equal(merged.status, 200);
  assert.deepEqual(merged.body.user, { inbox: 'merged', paused: false, profileShare: false });
  assert.deepEqual(merged.body.moved, { rooms: 1, failed: [] });
  assert.deepEqual(h.matrix.state.get(`${space}|m.space.child|${portal.roomId}`), {}, 'the portal left the Space');
  assert.match((await h.command(ALICE, 'settings')).join('\n'), /inbox merged/, 'the bot sees what the API set');
  const bad = await call('PUT', '/settings', { body: { inbox: 'sideways' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.errcode, 'M_BAD_JSON');
  h.matrix.fail('membership', 1);
  const down = await call('PUT', '/settings', { body: { inbox: 'separate' } });
  assert.equal(down.status, 503);
  assert.equal(down.body.errcode, 'ORG.INTEROP_BRIDGE.HOMESERVER_UNAVAILABLE');
  assert.match(String(down.body.error), /inbox separate is kept, but the Space could not be set up: .*PUT it again to retry/);
  const admin = await call('GET', '/status', { user: '@admin:example.org' });
  assert.equal(admin.body.permission, 'admin');
});

test('a logout through the API gives up a login the bot left waiting for its code', async (t) => {
  const { call, h } = await startApiHarness(t);
  const [consent, asked] = await h.command(ALICE, `login ${ALICE_PHONE}`);
  assert.match(consent, /^Before .* is linked: what this means/);
  assert.match(asked, /one-time code/);
  assert.deepEqual((await call('GET', '/status')).body, {
    user_id: ALICE, network: 'Fake network', state: 'waiting_for_code', logged_in: false, phone: ALICE_PHONE, permission: 'user',
  }, 'the API sees what the bot started');
  const out = await call('POST', '/logout');
  assert.equal(out.status, 409, 'nothing was logged in yet');
  assert.equal((await call('GET', '/status')).body.state, 'not_logged_in');
  assert.deepEqual(await h.command(ALICE, 'code 123456'), ['No login is in progress. Start with: login']);
  assert.equal(await h.store.logins.get(ALICE), undefined, 'nothing was linked');
});

test('two codes sent at once are checked one after the other: one login, one device, the second told there is no pending login', async (t) => {
  const { call, h } = await startApiHarness(t);
  assert.equal((await call('POST', '/login/start', { body: { phone: ALICE_PHONE } })).status, 200);
  let checks = 0;
  h.network.codeChecked = async () => {
    checks += 1;
    // slow enough that the second request arrives while the first is at the network
    await sleep(50);
  };
  const answers = await Promise.all([
    call('POST', '/login/code', { body: { code: '123456' } }),
    call('POST', '/login/code', { body: { code: '123456' } }),
  ]);
  assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409]);
  assert.equal(checks, 1, 'the network checked one code and registered one device');
});

test('status of a stored login without a running session (the bridge is stopping): logged in, state stopping', async (t) => {
  const { call, h } = await startApiHarness(t);
  await h.store.users.ensure(ALICE);
  await h.store.logins.put(ALICE, ALICE_PHONE, {});
  const status = await call('GET', '/status');
  assert.equal(status.body.state, 'stopping');
  assert.equal(status.body.logged_in, true);
  assert.equal(status.body.phone, ALICE_PHONE);
});

test('POST /chats beyond bridge.new_chats: 429 M_LIMIT_EXCEEDED with Retry-After; a chat the user has is still opened', async (t) => {
  const { call, h } = await startApiHarness(t, (config) => (config.bridge.new_chats = { burst: 1, per_hour: 1 }));
  await h.login(ALICE, ALICE_PHONE as E164);
  assert.equal((await call('POST', '/chats', { body: { phone: SAM } })).status, 200);
  const limited = await call('POST', '/chats', { body: { phone: '+14155552672' } });
  assert.equal(limited.status, 429);
  assert.equal(limited.body.errcode, 'M_LIMIT_EXCEEDED');
  assert.match(String(limited.body.error), /bridge\.new_chats\); retry in \d+ s$/);
  assert.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After in seconds');
  assert.equal((await call('POST', '/chats', { body: { phone: SAM } })).status, 200);
});

test('PUT /settings paused and profileShare do what the bot\'s pause / resume and profile share do', async (t) => {
  const { call, h } = await startApiHarness(t);
  assert.equal((await call('PUT', '/settings', { body: { paused: true } })).status, 409, 'not logged in: nothing to pause');
  const session = await h.login(ALICE, ALICE_PHONE as E164);
  h.matrix.userProfiles.set(ALICE, { displayName: 'Alice' });
  const paused = await call('PUT', '/settings', { body: { paused: true } });
  assert.equal(paused.status, 200);
  assert.equal((paused.body.user as { paused: boolean }).paused, true);
  assert.equal(session.disconnected, true, 'the session is closed, as by the bot');
  assert.equal((await call('GET', '/status')).body.state, 'paused');
  const later = await call('PUT', '/settings', { body: { profileShare: true } });
  assert.equal(later.body.profile, 'applied at the next connect', 'paused: no session to publish through');
  const resumed = await call('PUT', '/settings', { body: { paused: false } });
  assert.equal((resumed.body.user as { paused: boolean }).paused, false);
  const again = h.network.sessions.get(ALICE)!;
  for (let i = 0; i < 100 && again.published.length === 0; i++) await sleep(10);
  assert.deepEqual(again.published, [{ displayName: 'Alice', avatar: null }], 'the name published once connected again');
  const off = await call('PUT', '/settings', { body: { profileShare: false } });
  assert.equal(off.body.profile, 'cleared');
  assert.equal((await call('PUT', '/settings', { body: { paused: 'yes' } })).body.errcode, 'M_BAD_JSON');
});

test('PUT /settings profileShare with the network refusing: 503 naming it, the setting kept', async (t) => {
  const { call, h } = await startApiHarness(t);
  const session = await h.login(ALICE, ALICE_PHONE as E164);
  session.fail('publishProfile', 1);
  const refused = await call('PUT', '/settings', { body: { profileShare: true } });
  assert.equal(refused.status, 503);
  assert.equal(refused.body.errcode, 'ORG.INTEROP_BRIDGE.NETWORK_UNREACHABLE');
  assert.match(String(refused.body.error), /^profileShare true is kept, but the network was not updated: .*; it is tried again at the next connect$/);
  assert.equal(((await call('GET', '/settings')).body.user as { profileShare: boolean }).profileShare, true);
});

test('message requests through the API: listed, accepted (the held messages delivered in order), declined; 404 without one', async (t) => {
  const { h, call } = await startApiHarness(t, (c) => void (c.bridge.message_requests.enabled = true));
  // a login through the API alone: no management room, so no notice; the API is where they show
  const session = await h.login(ALICE, '+4915112345678' as E164);
  const SAM = '+14155552671' as E164;
  const CAROL = '+33612345678' as E164;
  for (const id of ['a', 'b']) await session.deliver(FakeSession.text(SAM, id, `sam ${id}`));
  await session.deliver(FakeSession.text(CAROL, 'c', 'carol'));
  const listed = await call('GET', '/requests');
  assert.equal(listed.status, 200);
  assert.deepEqual((listed.body.requests as Array<Record<string, unknown>>).map((r) => [r.phone, r.messages, r.notice_sent]), [[SAM, 2, false], [CAROL, 1, false]]);
  assert.equal(listed.body.dropped, null);

  const accepted = await call('POST', '/requests/accept', { body: { phone: '+1 415 555 2671' } });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  assert.equal(accepted.body.delivered, 2);
  const room = (await h.store.portals.get(ALICE, SAM))?.roomId;
  assert.equal(accepted.body.room_id, room);
  assert.deepEqual(h.matrix.inRoom(room!).filter((e) => e.asUser !== h.matrix.botUserId).map((e) => e.content.body), ['sam a', 'sam b']);

  const declined = await call('POST', '/requests/decline', { body: { phone: CAROL } });
  assert.deepEqual([declined.status, declined.body.declined], [200, true]);
  assert.equal(await h.store.requests.get(ALICE, CAROL), undefined);
  const again = await call('POST', '/requests/decline', { body: { phone: CAROL } });
  assert.deepEqual([again.status, again.body.errcode], [404, 'M_NOT_FOUND']);
  const bad = await call('POST', '/requests/accept', { body: { phone: 'not a number' } });
  assert.deepEqual([bad.status, bad.body.errcode], [400, 'M_INVALID_PARAM']);
  assert.deepEqual((await call('GET', '/requests')).body.requests, []);
});
