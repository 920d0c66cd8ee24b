/** Accounts by phone number with proof of possession by a one-time code. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, registerAccount, startTestGateway, type TestGateway } from './gateway-harness';

let t: TestGateway;
let native: RawClient;
let other: RawClient;
before(async () => {
  t = await startTestGateway();
  native = await RawClient.as(t.gateway.url, 'native');
  other = await RawClient.as(t.gateway.url, 'other');
});
after(async () => {
  await native.close();
  await other.close();
  await t.cleanup();
});

test('dev mode returns the code and prints it with a DEV label; the code registers the account', async () => {
  const phone = '+4915111111111';
  const req = await native.ok('account.register_request', { phone });
  assert.match(req.devCode ?? '', /^[0-9]{6}$/);
  assert.ok(req.expiresAt > Date.now());
  assert.ok(t.devLines.includes(`[DEV] verification code for ${phone}: ${req.devCode}`));
  const r = await native.ok('account.register_confirm', { phone, code: req.devCode as string });
  assert.deepEqual(r, { phone, provider: 'native', created: true });
  // the code is single-use
  assert.equal((await native.fails('account.register_confirm', { phone, code: req.devCode as string })).code, 'code_invalid');
  // re-verification keeps the account
  await registerAccount(native, phone);
  const again = await native.ok('account.register_request', { phone });
  assert.equal((await native.ok('account.register_confirm', { phone, code: again.devCode as string })).created, false);
});

test('wrong codes are refused and after five the code is dead', async () => {
  const phone = '+4915122222222';
  const req = await native.ok('account.register_request', { phone });
  const wrong = req.devCode === '000000' ? '111111' : '000000';
  for (let i = 0; i < 5; i++) {
    assert.equal((await native.fails('account.register_confirm', { phone, code: wrong })).code, 'code_invalid');
  }
  const e = await native.fails('account.register_confirm', { phone, code: req.devCode as string });
  assert.equal(e.code, 'code_attempts_exceeded');
  assert.equal((await native.fails('keys.fetch', { phone })).code, 'account_not_found');
});

test("another provider's pending code or account cannot be used", async () => {
  const phone = '+4915133333333';
  const req = await native.ok('account.register_request', { phone });
  assert.equal((await other.fails('account.register_confirm', { phone, code: req.devCode as string })).code, 'code_invalid');
  await native.ok('account.register_confirm', { phone, code: req.devCode as string });
  assert.equal((await other.fails('account.register_request', { phone })).code, 'phone_taken');
  assert.equal((await other.fails('device.list', { phone })).code, 'forbidden');
  assert.equal((await other.fails('account.unregister', { phone })).code, 'forbidden');
});

test('an expired code is refused', async () => {
  let now = Date.now();
  const g = await startTestGateway({ now: () => now, codeTtlMs: 1000 });
  const c = await RawClient.as(g.gateway.url, 'native');
  const phone = '+4915144444444';
  const req = await c.ok('account.register_request', { phone });
  now += 1001;
  assert.equal((await c.fails('account.register_confirm', { phone, code: req.devCode as string })).code, 'code_expired');
  await c.close();
  await g.cleanup();
});

test('production mode never reveals the code: it goes to the delivery hook, or registration is unavailable', async () => {
  const delivered: [string, string][] = [];
  const g = await startTestGateway({ devMode: false, deliverCode: (phone, code) => delivered.push([phone, code]) });
  const c = await RawClient.as(g.gateway.url, 'native');
  const phone = '+4915155555555';
  const req = await c.ok('account.register_request', { phone });
  assert.equal(req.devCode, undefined);
  assert.deepEqual(g.devLines, []);
  assert.equal(delivered.length, 1);
  assert.equal((await c.ok('account.register_confirm', { phone, code: delivered[0][1] })).created, true);
  await c.close();
  await g.cleanup();

  const h = await startTestGateway({ devMode: false });
  const d = await RawClient.as(h.gateway.url, 'native');
  assert.equal((await d.fails('account.register_request', { phone })).code, 'unavailable');
  await d.close();
  await h.cleanup();
});

test('unregister removes the account', async () => {
  const phone = '+4915166666666';
  await registerAccount(native, phone);
  await native.ok('account.unregister', { phone });
  assert.equal((await native.fails('profile.get', { phone })).code, 'account_not_found');
});
