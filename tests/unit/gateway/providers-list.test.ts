/** providers.list: every configured provider with its encryption (and display name when one
 *  is configured), sorted by id, never a secret; refused before hello and with params. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateResult } from '../../../src/protocol/validate';
import { PROVIDERS, RawClient, startTestGateway, type TestGateway } from './gateway-harness';

let t: TestGateway;

before(async () => {
  // out of order and one with a display name, so sorting and the optional field are tested
  t = await startTestGateway({
    providers: [PROVIDERS[2], { ...PROVIDERS[1], displayName: 'Plain Chat' }, PROVIDERS[0]],
  });
});
after(async () => t.cleanup());

test('lists every configured provider sorted by id, with e2ee and the display name, and no secrets', async () => {
  const c = await RawClient.as(t.gateway.url, 'plainchat');
  const result = await c.ok('providers.list', {});
  assert.deepEqual(result, {
    providers: [
      { id: 'native', e2ee: true },
      { id: 'other', e2ee: true },
      { id: 'plainchat', e2ee: false, displayName: 'Plain Chat' },
    ],
  });
  assert.ok(validateResult('providers.list', result).ok, 'the answer matches the published result schema');
  assert.doesNotMatch(JSON.stringify(result), /secret/);
  await c.close();
});

test('before hello it is unauthenticated; unexpected params are invalid_params', async () => {
  const anon = await RawClient.connect(t.gateway.url);
  assert.equal((await anon.fails('providers.list', {})).code, 'unauthenticated');
  await anon.close();
  const c = await RawClient.as(t.gateway.url, 'native');
  const bad = await c.fails('providers.list', { phone: '+4915200000011' } as never);
  assert.equal(bad.code, 'invalid_params');
  await c.close();
});

test('a result with a malformed entry fails the client-side schema', () => {
  assert.equal(validateResult('providers.list', { providers: [{ id: 'Not An Id', e2ee: true }] }).ok, false);
  assert.equal(validateResult('providers.list', { providers: [{ id: 'native' }] }).ok, false);
});
