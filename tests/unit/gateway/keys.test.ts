/** Devices and the key directory: registration, bundles consuming one-time prekeys, refill,
 *  low-water events, per-provider rate limiting. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { oneTimeKey, RawClient, registerAccount, signedKey, startTestGateway, testKeys, type TestGateway } from './gateway-harness';

let t: TestGateway;
let alice: RawClient;
let bob: RawClient;
const ALICE = '+4915100000001';
before(async () => {
  t = await startTestGateway({
    preKeyLowWater: 2,
    providers: [
      { id: 'native', secret: 'native-test-secret', e2ee: true },
      { id: 'other', secret: 'other-test-secret', e2ee: true, lookupBurst: 3, lookupsPerSecond: 0.001 },
    ],
  });
  alice = await RawClient.as(t.gateway.url, 'native');
  bob = await RawClient.as(t.gateway.url, 'native');
  await registerAccount(alice, ALICE);
});
after(async () => {
  await alice.close();
  await bob.close();
  await t.cleanup();
});

test('devices get increasing IDs; each fetch consumes one one-time prekey per device', async () => {
  const d1 = await alice.ok('device.register', {
    phone: ALICE, registrationId: 7, attributes: { bridged: false, name: 'phone' }, keys: testKeys('a1', 3, 1),
  });
  const d2 = await alice.ok('device.register', {
    phone: ALICE, registrationId: 8, attributes: { bridged: true }, keys: testKeys('a2', 1),
  });
  assert.deepEqual([d1.deviceId, d2.deviceId], [1, 2]);

  const first = await bob.ok('keys.fetch', { phone: ALICE });
  assert.equal(first.provider, 'native');
  assert.equal(first.e2ee, true);
  assert.deepEqual(first.devices.map((d) => [d.deviceId, d.registrationId, d.attributes.bridged]), [[1, 7, false], [2, 8, true]]);
  const keys1 = testKeys('a1', 3, 1);
  assert.equal(first.devices[0].bundle?.identityKey, keys1.identityKey);
  assert.deepEqual(first.devices[0].bundle?.signedPreKey, keys1.signedPreKey);
  assert.deepEqual(first.devices[0].bundle?.oneTimePreKey, keys1.oneTimePreKeys?.[0]);
  assert.deepEqual(first.devices[0].bundle?.kyberPreKey, keys1.oneTimeKyberPreKeys?.[0], 'one-time Kyber key first');

  const second = await bob.ok('keys.fetch', { phone: ALICE });
  assert.deepEqual(second.devices[0].bundle?.oneTimePreKey, keys1.oneTimePreKeys?.[1], 'a different one-time prekey');
  assert.deepEqual(second.devices[0].bundle?.kyberPreKey, keys1.kyberPreKey, 'then the last-resort Kyber key');
  assert.equal(second.devices[1].bundle?.oneTimePreKey, undefined, 'device 2 ran out');
  assert.ok(second.devices[1].bundle?.signedPreKey, 'but still has a bundle');

  const list = await alice.ok('device.list', { phone: ALICE });
  assert.deepEqual(list.devices.map((d) => d.oneTimePreKeyCount), [1, 0]);
});

test('keys.low reaches the subscribed device when its one-time prekeys run low; keys.upload refills', async () => {
  const { deviceId } = await alice.ok('device.register', {
    phone: ALICE, registrationId: 9, attributes: { bridged: false }, keys: testKeys('a3', 3),
  });
  await alice.ok('device.subscribe', { phone: ALICE, deviceId });
  await bob.ok('keys.fetch', { phone: ALICE }); // 3 -> 2: not below 2
  await bob.ok('keys.fetch', { phone: ALICE }); // 2 -> 1: low
  const low = await alice.nextEvent('keys.low', (e) => e.device.deviceId === deviceId);
  assert.deepEqual(low, { device: { phone: ALICE, deviceId }, oneTimePreKeyCount: 1, oneTimeKyberPreKeyCount: 0, lowWater: 2 });
  const rotated = signedKey('a3', 2, 'ec');
  const refill = await alice.ok('keys.upload', {
    phone: ALICE, deviceId, oneTimePreKeys: [oneTimeKey(500), oneTimeKey(501)], signedPreKey: rotated,
  });
  assert.equal(refill.oneTimePreKeyCount, 3);
  const fetched = await bob.ok('keys.fetch', { phone: ALICE });
  const mine = fetched.devices.find((d) => d.deviceId === deviceId);
  assert.deepEqual(mine?.bundle?.signedPreKey, rotated);
});

test('device.remove takes the device out of the directory', async () => {
  const { deviceId } = await alice.ok('device.register', {
    phone: ALICE, registrationId: 10, attributes: { bridged: false }, keys: testKeys('a4', 1),
  });
  await alice.ok('device.remove', { phone: ALICE, deviceId });
  const fetched = await bob.ok('keys.fetch', { phone: ALICE });
  assert.ok(!fetched.devices.some((d) => d.deviceId === deviceId));
  assert.equal((await alice.fails('device.remove', { phone: ALICE, deviceId })).code, 'device_not_found');
});

test('keys that do not parse or whose signature does not verify are refused, naming the key', async () => {
  const good = testKeys('a5', 1, 1);
  const cases: [typeof good, string][] = [
    [{ ...good, identityKey: 'Z2FyYmFnZQ==' }, '/params/keys/identityKey'],
    [{ ...good, signedPreKey: signedKey('someone-else', 1, 'ec') }, '/params/keys/signedPreKey/signature'],
    [{ ...good, kyberPreKey: { ...good.kyberPreKey, publicKey: good.signedPreKey.publicKey } }, '/params/keys/kyberPreKey/publicKey'],
    [{ ...good, oneTimePreKeys: [{ keyId: 1, publicKey: 'AAAA' }] }, '/params/keys/oneTimePreKeys/0/publicKey'],
    [{ ...good, oneTimeKyberPreKeys: [signedKey('someone-else', 9, 'kyber')] }, '/params/keys/oneTimeKyberPreKeys/0/signature'],
  ];
  for (const [keys, field] of cases) {
    const e = await alice.fails('device.register', { phone: ALICE, registrationId: 11, attributes: { bridged: false }, keys });
    assert.equal(e.code, 'invalid_params');
    assert.equal(e.field, field);
  }
  const { deviceId } = await alice.ok('device.register', { phone: ALICE, registrationId: 11, attributes: { bridged: false }, keys: good });
  const e = await alice.fails('keys.upload', { phone: ALICE, deviceId, signedPreKey: signedKey('someone-else', 3, 'ec') });
  assert.equal(e.field, '/params/signedPreKey/signature');
});

test('an e2ee provider must publish keys', async () => {
  const e = await alice.fails('device.register', { phone: ALICE, registrationId: 1, attributes: { bridged: false } });
  assert.equal(e.code, 'encryption_mismatch');
});

test('directory look-ups are rate-limited per provider', async () => {
  const o = await RawClient.as(t.gateway.url, 'other');
  for (let i = 0; i < 3; i++) await o.ok('keys.fetch', { phone: ALICE });
  const e = await o.fails('keys.fetch', { phone: ALICE });
  assert.equal(e.code, 'rate_limited');
  assert.ok((e.details as { retryAfterMs: number }).retryAfterMs > 0);
  assert.equal((await o.fails('profile.get', { phone: ALICE })).code, 'rate_limited', 'profiles share the budget');
  // the budget is the provider's, not the connection's; other providers are unaffected
  const o2 = await RawClient.as(t.gateway.url, 'other');
  assert.equal((await o2.fails('keys.fetch', { phone: '+4915199999999' })).code, 'rate_limited');
  await bob.ok('keys.fetch', { phone: ALICE });
  await o.close();
  await o2.close();
});
