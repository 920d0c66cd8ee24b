// Every refusal of the provisioning API, each answered as {errcode, error} with its status:
// no or a malformed Authorization header and a wrong secret (401), a user the permissions do
// not allow or one of the bridge's own (403), no or a malformed user_id (400), an unknown
// path (404), a wrong method (405, with Allow), bodies that are not JSON or do not fit the
// schema (400, with the reason), a body over the limit (413), and a handler that fails (500,
// logged). None of them reaches the network or changes the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LoginStart } from '../../../src/network/login-steps';
import { MAX_BODY_BYTES, startProvisioningServer } from '../../../src/provisioning';
import { ALICE, startApiHarness } from './api-harness';
import { FakeNetwork } from '../../helpers/core-harness';

const ALICE_PHONE = '+4915112345678';

test('401: no Authorization header, one that is not a bearer token, a wrong secret (of any length)', async (t) => {
  const { call, h } = await startApiHarness(t);
  const missing = await call('GET', '/status', { authorization: null });
  assert.equal(missing.status, 401);
  assert.equal(missing.body.errcode, 'M_MISSING_TOKEN');
  assert.match(String(missing.body.error), /Authorization: Bearer/);
  const basic = await call('GET', '/status', { authorization: 'Basic dXNlcjpwYXNz' });
  assert.equal(basic.status, 401);
  assert.equal(basic.body.errcode, 'M_MISSING_TOKEN');
  for (const wrong of ['wrong', 'a-provisioning-secret-for-tests-0124', 'a'.repeat(500)]) {
    const refused = await call('POST', '/login/start', { authorization: `Bearer ${wrong}`, body: { phone: ALICE_PHONE } });
    assert.equal(refused.status, 401, wrong);
    assert.equal(refused.body.errcode, 'M_UNKNOWN_TOKEN');
  }
  // the secret is checked before anything else: an unknown path without it is a 401 too
  assert.equal((await call('GET', '/nope', { authorization: null })).status, 401);
  assert.equal(h.core.stepLogins.current(ALICE), undefined, 'nothing was started');
});

test('400/403: the acting user must be given, be a Matrix ID, not be the bridge\'s own, and be permitted', async (t) => {
  const { call, h } = await startApiHarness(t);
  const none = await call('GET', '/status', { user: null });
  assert.equal(none.status, 400);
  assert.equal(none.body.errcode, 'M_MISSING_PARAM');
  assert.match(String(none.body.error), /user_id/);
  const malformed = await call('GET', '/status', { user: 'alice' });
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body.errcode, 'M_INVALID_PARAM');
  assert.match(String(malformed.body.error), /"alice" is not a Matrix user ID/);
  // the sample config allows example.org and nothing else
  const stranger = await call('POST', '/login/start', { user: '@eve:elsewhere.org', body: { phone: ALICE_PHONE } });
  assert.equal(stranger.status, 403);
  assert.equal(stranger.body.errcode, 'M_FORBIDDEN');
  assert.match(String(stranger.body.error), /@eve:elsewhere\.org may not use the bridge/);
  assert.equal(h.core.stepLogins.current('@eve:elsewhere.org'), undefined);
  const ghost = await call('GET', '/status', { user: `@wa_${ALICE_PHONE}:example.org` });
  assert.equal(ghost.status, 403);
  assert.match(String(ghost.body.error), /bridge's own users/);
  const bot = await call('GET', '/contacts', { user: '@interopbot:example.org' });
  assert.equal(bot.status, 403);
});

test('404 for a path the API does not have, 405 (with Allow) for a method it does not take there', async (t) => {
  const { call } = await startApiHarness(t);
  for (const path of ['/nope', '/status/extra', '/_matrix/provision/v2/status', '/_matrix/provision/v1']) {
    const missing = await call('GET', path);
    assert.equal(missing.status, 404, path);
    assert.equal(missing.body.errcode, 'M_UNRECOGNIZED');
  }
  const wrong = await call('DELETE', '/status');
  assert.equal(wrong.status, 405);
  assert.equal(wrong.body.errcode, 'M_UNRECOGNIZED');
  assert.equal(wrong.headers.get('allow'), 'GET');
  const settings = await call('POST', '/settings', { body: {} });
  assert.equal(settings.status, 405);
  assert.equal(settings.headers.get('allow'), 'GET, PUT');
  assert.equal((await call('GET', '/login/start')).status, 405);
});

test('400 M_NOT_JSON for a body that is not JSON or is missing; M_BAD_JSON with the reason for the wrong shape', async (t) => {
  const { call, h } = await startApiHarness(t);
  const notJson = await call('POST', '/login/start', { body: 'phone=+4915112345678' });
  assert.equal(notJson.status, 400);
  assert.equal(notJson.body.errcode, 'M_NOT_JSON');
  const empty = await call('POST', '/login/start');
  assert.equal(empty.status, 400);
  assert.equal(empty.body.errcode, 'M_NOT_JSON');
  assert.match(String(empty.body.error), /needs a JSON object body/);
  const cases: [string, unknown, RegExp][] = [
    ['/login/start', {}, /phone: required/],
    ['/login/start', { phone: 4915112345678 }, /phone: must be a string/],
    ['/login/start', { phone: '' }, /phone: must not be empty/],
    ['/login/start', { phone: ALICE_PHONE, extra: 1 }, /extra: unknown key/],
    ['/login/start', [ALICE_PHONE], /body: must be/],
    ['/login/code', { code: 123456 }, /code: must be a string/],
    ['/chats', { number: ALICE_PHONE }, /phone: required/],
    ['/logout', { phone: ALICE_PHONE }, /phone: unknown key/],
  ];
  for (const [path, body, reason] of cases) {
    const refused = await call(path === '/settings' ? 'PUT' : 'POST', path, { body });
    assert.equal(refused.status, 400, `${path} ${JSON.stringify(body)}`);
    assert.equal(refused.body.errcode, 'M_BAD_JSON');
    assert.match(String(refused.body.error), reason);
  }
  const setting = await call('PUT', '/settings', { body: { show_phone_in_displayname: false } });
  assert.equal(setting.status, 400);
  assert.equal(setting.body.errcode, 'M_BAD_JSON');
  assert.match(String(setting.body.error), /show_phone_in_displayname: unknown key/);
  assert.equal(h.core.stepLogins.current(ALICE), undefined, 'no refused body started a login');
});

test('413 M_TOO_LARGE for a body over the limit, whether its length is declared or streamed', async (t) => {
  const { call, server } = await startApiHarness(t);
  const big = JSON.stringify({ phone: 'x'.repeat(MAX_BODY_BYTES) });
  const refused = await call('POST', '/login/start', { body: big });
  assert.equal(refused.status, 413);
  assert.equal(refused.body.errcode, 'M_TOO_LARGE');
  // chunked, without a Content-Length
  const stream = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(big));
      controller.close();
    },
  });
  const response = await fetch(`http://127.0.0.1:${server.port}/_matrix/provision/v1/login/start?user_id=${encodeURIComponent(ALICE)}`, {
    method: 'POST',
    headers: { authorization: 'Bearer a-provisioning-secret-for-tests-0123' },
    body: stream,
    duplex: 'half',
  } as RequestInit);
  assert.equal(response.status, 413);
  assert.equal(((await response.json()) as { errcode: string }).errcode, 'M_TOO_LARGE');
});

test('500 M_UNKNOWN when a step fails unexpectedly: answered with the reason and logged at error, never "ok"', async (t) => {
  const { call, h } = await startApiHarness(t);
  h.network.refuseLogin = () => new Error('gateway exploded');
  const failed = await call('POST', '/login/start', { body: { phone: ALICE_PHONE } });
  assert.equal(failed.status, 500);
  assert.equal(failed.body.errcode, 'M_UNKNOWN');
  assert.match(String(failed.body.error), /gateway exploded/);
  const logged = h.log.lines.filter((l) => l.level === 'error' && l.text.includes('provisioning POST /_matrix/provision/v1/login/start failed'));
  assert.equal(logged.length, 1, JSON.stringify(h.log.lines));
  assert.match(logged[0].text, /gateway exploded/);
  assert.equal(h.core.stepLogins.current(ALICE), undefined);
});

test('501 M_UNRECOGNIZED: a network that logs in by steps has no phone-and-code login to start', async (t) => {
  // a connector whose login shows a QR code instead of asking for a number
  let cancelled = 0;
  const network = Object.assign(new FakeNetwork(), {
    beginLogin: async (): Promise<LoginStart> => ({
      first: { kind: 'display_and_wait', id: 'qr', instructions: 'Scan this.', display: { type: 'qr', data: 'qr-data' } },
      process: { submit: () => Promise.reject(new Error('no input')), wait: () => new Promise<never>(() => {}), cancel: async () => void cancelled++ },
    }),
  });
  const { call, h } = await startApiHarness(t, undefined, network);
  const refused = await call('POST', '/login/start', { body: { phone: ALICE_PHONE } });
  assert.equal(refused.status, 501);
  assert.equal(refused.body.errcode, 'M_UNRECOGNIZED');
  assert.match(String(refused.body.error), /does not log in with a phone number and code.*"login"/);
  assert.equal(h.core.stepLogins.current(ALICE), undefined);
  assert.equal(cancelled, 1, 'the login it began to find out is given up');
  assert.equal(h.log.lines.filter((l) => l.level === 'error').length, 0, 'a refusal, not an internal error');
});

test('a port already in use stops the start with the address and the config keys named', async (t) => {
  const { h, server } = await startApiHarness(t);
  const deps = { config: h.config, logins: h.core.logins, inbox: h.core.inbox, pausing: h.core.pausing, profiles: h.core.profileShare, requests: h.core.requestActions, store: h.store, networkName: 'x', isBridgeUser: () => false, log: h.log };
  await assert.rejects(
    startProvisioningServer(deps, { address: '127.0.0.1', port: server.port, secret: 'a-provisioning-secret-for-tests-0123' }),
    new RegExp(`the provisioning API cannot listen on 127\\.0\\.0\\.1:${server.port} \\(provisioning\\.address/port\\): EADDRINUSE`),
  );
});
