/** Provider authentication, and bad frames answered with errors on a connection that stays up. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, startTestGateway, type TestGateway } from './gateway-harness';

let t: TestGateway;
before(async () => {
  t = await startTestGateway({ maxFrameBytes: 64 * 1024, maxMediaBytes: 16 * 1024 });
});
after(() => t.cleanup());

test('hello with the right secret authenticates as that provider', async () => {
  const c = await RawClient.connect(t.gateway.url);
  const r = await c.ok('hello', { provider: 'plainchat', secret: 'plainchat-test-secret' });
  assert.equal(r.provider, 'plainchat');
  assert.equal(r.e2ee, false);
  assert.equal(r.protocolVersion, 1);
  assert.equal(r.limits.maxFrameBytes, 64 * 1024);
  assert.equal((await c.fails('hello', { provider: 'native', secret: 'native-test-secret' })).code, 'already_authenticated');
  await c.close();
});

test('wrong secret or unknown provider is refused; requests before hello are unauthenticated', async () => {
  const c = await RawClient.connect(t.gateway.url);
  assert.equal((await c.fails('hello', { provider: 'native', secret: 'plainchat-test-secret' })).code, 'auth_failed');
  assert.equal((await c.fails('hello', { provider: 'nobody', secret: 'whatever-secret' })).code, 'auth_failed');
  const e = await c.fails('keys.fetch', { phone: '+4915112345678' });
  assert.equal(e.code, 'unauthenticated');
  assert.ok((await c.ok('ping', {})).serverTime > 0, 'ping works before hello');
  await c.ok('hello', { provider: 'native', secret: 'native-test-secret' });
  await c.close();
});

test('five failed hellos close the connection with 1008', async () => {
  const c = await RawClient.connect(t.gateway.url);
  for (let i = 0; i < 5; i++) {
    assert.equal((await c.fails('hello', { provider: 'native', secret: `wrong-secret-${i}` })).code, 'auth_failed');
  }
  assert.equal((await c.closed).code, 1008);
});

test('malformed, unknown, invalid, binary and oversized frames get errors and the connection stays usable', async () => {
  const c = await RawClient.as(t.gateway.url, 'native');

  c.sendRaw('{not json');
  let f = await c.nextOrphan();
  assert.ok(f.type === 'error' && f.id === null && f.error.code === 'bad_frame');

  c.sendRaw('[1,2,3]');
  f = await c.nextOrphan();
  assert.ok(f.type === 'error' && f.error.code === 'bad_frame');

  const unknown = await c.request('no.such.thing' as 'ping', {});
  assert.ok(!unknown.ok && unknown.error.code === 'unknown_type');

  const badVersion = new Promise<unknown>((resolve) => {
    c.sendRaw(JSON.stringify({ v: 2, id: 'old', type: 'ping', params: {} }));
    void c.nextOrphan().then(resolve);
  });
  // an answer with a readable id that we never registered lands with the orphans
  const bv = (await badVersion) as { id: string; error: { code: string } };
  assert.equal(bv.id, 'old');
  assert.equal(bv.error.code, 'unsupported_version');

  const invalid = await c.fails('message.submit', {
    from: { phone: '+4915112345678', deviceId: 1 },
    to: 'not-a-phone',
    clientMessageId: 'x',
    messages: [{ deviceId: 1, type: 'whisper', body: 'AAAA' }],
  });
  assert.equal(invalid.code, 'invalid_params');
  assert.equal(invalid.field, '/params/to');

  c.sendRaw(Buffer.from([1, 2, 3]), true);
  f = await c.nextOrphan();
  assert.ok(f.type === 'error' && f.error.code === 'bad_frame');

  c.sendRaw(JSON.stringify({ v: 1, id: 'big', type: 'ping', params: {}, pad: 'x'.repeat(70 * 1024) }));
  f = await c.nextOrphan();
  assert.ok(f.type === 'error' && f.id === null && f.error.code === 'frame_too_large');

  // still the same, authenticated, working connection
  const fetched = await c.fails('keys.fetch', { phone: '+4915100000000' });
  assert.equal(fetched.code, 'account_not_found');
  assert.equal(c.ws.readyState, c.ws.OPEN);
  await c.close();
});

test('a frame beyond twice the limit is cut off by the WebSocket layer (1009)', async () => {
  const c = await RawClient.as(t.gateway.url, 'native');
  c.sendRaw('x'.repeat(130 * 1024));
  assert.equal((await c.closed).code, 1009);
});
