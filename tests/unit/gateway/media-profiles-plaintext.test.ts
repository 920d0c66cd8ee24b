/** Media store, profiles, and a provider without end-to-end encryption meeting a native one. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { testKeys, RawClient, registerUser, startTestGateway, type TestGateway } from './gateway-harness';

let t: TestGateway;
let native: RawClient;
let plain: RawClient;
const NATIVE = '+4915300000001';
const NATIVE2 = '+4915300000003';
const PLAIN = '+4915300000002';
let nativeDevice: number;
let native2Device: number;
let plainDevice: number;

before(async () => {
  t = await startTestGateway({ maxMediaBytes: 1024, maxFrameBytes: 8 * 1024 });
  native = await RawClient.as(t.gateway.url, 'native');
  plain = await RawClient.as(t.gateway.url, 'plainchat');
  nativeDevice = await registerUser(native, NATIVE);
  native2Device = await registerUser(native, NATIVE2);
  plainDevice = await registerUser(plain, PLAIN, false);
});
after(async () => {
  await native.close();
  await plain.close();
  await t.cleanup();
});

test('media round trip with its SHA-256 digest; unknown IDs and oversized blobs are refused', async () => {
  const blob = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
  const up = await native.ok('media.upload', { data: blob.toString('base64') });
  assert.equal(up.size, 1000);
  assert.equal(up.digest, createHash('sha256').update(blob).digest('base64'));
  const down = await plain.ok('media.download', { mediaId: up.mediaId });
  assert.deepEqual(Buffer.from(down.data, 'base64'), blob);
  assert.equal((await native.fails('media.download', { mediaId: 'nope' })).code, 'media_not_found');
  const big = await native.fails('media.upload', { data: Buffer.alloc(1025).toString('base64') });
  assert.equal(big.code, 'media_too_large');
  const again = await native.ok('media.upload', { data: blob.toString('base64') });
  assert.notEqual(again.mediaId, up.mediaId, 'every upload gets its own ID');
});

test('profiles: set by the own provider, read by anyone, null clears', async () => {
  const avatar = await native.ok('media.upload', { data: Buffer.from('avatar').toString('base64') });
  const set = await native.ok('profile.set', { phone: NATIVE, displayName: 'Alice', avatarMediaId: avatar.mediaId });
  assert.deepEqual(set, { phone: NATIVE, provider: 'native', displayName: 'Alice', avatarMediaId: avatar.mediaId });
  assert.deepEqual(await plain.ok('profile.get', { phone: NATIVE }), set);
  await native.ok('profile.set', { phone: NATIVE, avatarMediaId: null });
  assert.deepEqual(await plain.ok('profile.get', { phone: NATIVE }), { phone: NATIVE, provider: 'native', displayName: 'Alice' });
  assert.equal((await plain.fails('profile.set', { phone: NATIVE, displayName: 'Mallory' })).code, 'forbidden');
  assert.equal((await native.fails('profile.set', { phone: NATIVE, avatarMediaId: 'missing' })).code, 'media_not_found');
});

test('a provider without e2ee has no keys: key directory says so', async () => {
  const e = await plain.fails('device.register', {
    phone: PLAIN, registrationId: 1, attributes: { bridged: false }, keys: testKeys('p'),
  });
  assert.equal(e.code, 'encryption_mismatch');
  assert.equal((await plain.fails('keys.upload', { phone: PLAIN, deviceId: plainDevice, oneTimePreKeys: [] })).code, 'encryption_mismatch');
  const fetched = await native.ok('keys.fetch', { phone: PLAIN });
  assert.equal(fetched.e2ee, false);
  assert.equal(fetched.provider, 'plainchat');
  assert.deepEqual(fetched.devices, [{ deviceId: plainDevice, registrationId: 42, attributes: { bridged: false } }]);
});

test('plaintext flows both ways between plainchat and native, marked by sender.e2ee; mismatches are refused', async () => {
  const content = (id: string) => Buffer.from(JSON.stringify({ kind: 'message', messageId: id, timestamp: 1, parts: [{ type: 'text', body: 'hi', format: 'plain' }] })).toString('base64');
  const wrongType = await native.fails('message.submit', {
    from: { phone: NATIVE, deviceId: nativeDevice }, to: PLAIN, clientMessageId: 'x1',
    messages: [{ deviceId: plainDevice, type: 'prekey', body: 'AAAA' }],
  });
  assert.equal(wrongType.code, 'encryption_mismatch');
  assert.equal(wrongType.field, '/params/messages/0/type');
  const e2eePlain = await native.fails('message.submit', {
    from: { phone: NATIVE, deviceId: nativeDevice }, to: NATIVE2, clientMessageId: 'x2',
    messages: [{ deviceId: native2Device, type: 'plaintext', body: content('x2') }],
  });
  assert.equal(e2eePlain.code, 'encryption_mismatch', 'no plaintext between two e2ee accounts');

  await native.ok('message.submit', {
    from: { phone: NATIVE, deviceId: nativeDevice }, to: PLAIN, clientMessageId: 'n1',
    messages: [{ deviceId: plainDevice, type: 'plaintext', body: content('n1') }],
  });
  await plain.ok('device.subscribe', { phone: PLAIN, deviceId: plainDevice });
  const got = await plain.nextEvent('envelope');
  assert.deepEqual(got.sender, { phone: NATIVE, deviceId: nativeDevice, provider: 'native', bridged: false, e2ee: true });
  assert.deepEqual(got.payload, { kind: 'message', clientMessageId: 'n1', type: 'plaintext', body: content('n1') });

  assert.equal((await plain.fails('message.submit', {
    from: { phone: PLAIN, deviceId: plainDevice }, to: NATIVE, clientMessageId: 'p0',
    messages: [{ deviceId: nativeDevice, type: 'whisper', body: 'AAAA' }],
  })).code, 'encryption_mismatch');
  await plain.ok('message.submit', {
    from: { phone: PLAIN, deviceId: plainDevice }, to: NATIVE, clientMessageId: 'p1',
    messages: [{ deviceId: nativeDevice, type: 'plaintext', body: content('p1') }],
  });
  await native.ok('device.subscribe', { phone: NATIVE, deviceId: nativeDevice });
  const back = await native.nextEvent('envelope');
  assert.deepEqual(back.sender, { phone: PLAIN, deviceId: plainDevice, provider: 'plainchat', bridged: false, e2ee: false });
  assert.equal(back.payload.kind === 'message' && back.payload.type, 'plaintext');
});
