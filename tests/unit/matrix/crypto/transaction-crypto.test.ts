// The crypto part of a transaction, sorted per device: to-device events by their to_user_id
// and to_device_id, key counts and fallback key types per device, device list changes; bad
// entries skipped with a reason that names no content; absent fields stay absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cryptoOfTransaction } from '../../../../src/matrix/crypto/transaction-crypto';

const ghost = '@wa_+15550001:localhost';

test('a transaction\'s crypto data is sorted by the device it is for', () => {
  const crypto = cryptoOfTransaction({
    events: [],
    'de.sorunome.msc2409.to_device': [
      { type: 'm.room.encrypted', sender: '@alice:localhost', content: { ciphertext: {} }, to_user_id: ghost, to_device_id: 'DEV1' },
      { type: 'm.room_key_request', sender: '@alice:localhost', content: {}, to_user_id: '@interopbot:localhost', to_device_id: 'BOT' },
    ],
    'org.matrix.msc3202.device_lists': { changed: ['@alice:localhost'], left: [] },
    'org.matrix.msc3202.device_one_time_keys_count': { [ghost]: { DEV1: { signed_curve25519: 3 } } },
    'org.matrix.msc3202.device_unused_fallback_key_types': { [ghost]: { DEV1: ['signed_curve25519'] } },
  });
  assert.deepEqual(crypto.skipped, []);
  assert.deepEqual(crypto.changed, ['@alice:localhost']);
  const dev1 = crypto.devices.find((d) => d.deviceId === 'DEV1')!;
  assert.equal(dev1.toDevice.length, 1);
  assert.deepEqual(dev1.oneTimeKeyCounts, { signed_curve25519: 3 });
  assert.deepEqual(dev1.unusedFallbackKeyTypes, ['signed_curve25519']);
  const bot = crypto.devices.find((d) => d.deviceId === 'BOT')!;
  assert.equal(bot.toDevice[0].type, 'm.room_key_request');
  assert.equal(bot.unusedFallbackKeyTypes, undefined, 'not reported is not "none left"');
});

test('malformed entries are skipped with a reason, the rest is kept', () => {
  const crypto = cryptoOfTransaction({
    'de.sorunome.msc2409.to_device': [
      { type: 'm.room.encrypted', sender: '@a:localhost', content: { secret: 'hunter2' }, to_user_id: 'not-a-user', to_device_id: 'D' },
      'junk',
      { type: 'm.dummy', sender: '@a:localhost', content: {}, to_user_id: ghost, to_device_id: 'D' },
    ],
    'org.matrix.msc3202.device_lists': { changed: ['@ok:localhost', 42], left: 'nobody' },
    'org.matrix.msc3202.device_one_time_keys_count': { [ghost]: { D: { signed_curve25519: -1 } } },
    'org.matrix.msc3202.device_unused_fallback_key_types': [],
  });
  assert.deepEqual(crypto.devices.map((d) => [d.deviceId, d.toDevice.length, d.oneTimeKeyCounts]), [['D', 1, undefined]]);
  assert.deepEqual(crypto.changed, ['@ok:localhost']);
  assert.deepEqual(crypto.left, []);
  assert.equal(crypto.skipped.length, 6, crypto.skipped.join('; '));
  assert.ok(!crypto.skipped.join(' ').includes('hunter2'), 'reasons name no content');
});

test('a transaction without crypto data has none', () => {
  assert.deepEqual(cryptoOfTransaction({ events: [] }), { changed: [], left: [], devices: [], skipped: [] });
});
