// RoomEncryption runs one crypto operation at a time: a transaction's keys and a ghost's
// encryption at once would run two outgoing-request loops over one machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoomEncryption } from '../../../../src/matrix/crypto/room-encryption';
import { TO_DEVICE_KEY } from '../../../../src/matrix/crypto/transaction-crypto';

test('a transaction fed while an encryption runs waits for it: never two operations at once', async () => {
  let running = 0;
  let most = 0;
  const order: string[] = [];
  let release!: () => void;
  const held = new Promise<void>((resolve) => { release = resolve; });
  const busy = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    running++;
    most = Math.max(most, running);
    order.push(`start ${what}`);
    try {
      return await work();
    } finally {
      order.push(`end ${what}`);
      running--;
    }
  };
  const devices = {
    hasDevice: () => true,
    closeAll: async () => undefined,
    withDevice: (<T>(userId: string, fn: (device: never) => Promise<T>) => busy(`device ${userId}`, async () => {
      await held;
      return fn({ encryptForRoom: async () => ({ ciphertext: 'c' }) } as never);
    })) as never,
    receiveTransaction: () => busy('transaction', async () => ({ delivered: 1, unknownDevices: 0 })),
  };
  const encryption = new RoomEncryption(devices, { warn: () => undefined, debug: () => undefined });
  const encrypting = encryption.encrypt('@ghost:hs', '!r:hs', ['@alice:hs'], 'm.room.message', { body: 'x' });
  const feeding = encryption.receiveTransaction({
    [TO_DEVICE_KEY]: [{ type: 'm.room.encrypted', sender: '@alice:hs', content: {}, to_user_id: '@ghost:hs', to_device_id: 'DEV' }],
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, ['start device @ghost:hs'], 'the transaction waits while the encryption runs');
  release();
  await Promise.all([encrypting, feeding]);
  assert.equal(most, 1);
  assert.deepEqual(order, ['start device @ghost:hs', 'end device @ghost:hs', 'start transaction', 'end transaction']);
});

test('room keys come as to-device messages: receiveTransaction says whether a transaction carried some', async () => {
  const fed: unknown[] = [];
  const devices = {
    hasDevice: () => true,
    closeAll: async () => undefined,
    withDevice: (async () => undefined) as never,
    receiveTransaction: async (crypto: unknown) => {
      fed.push(crypto);
      return { delivered: 1, unknownDevices: 0 };
    },
  };
  const encryption = new RoomEncryption(devices, { warn: () => undefined, debug: () => undefined });
  assert.deepEqual(await encryption.receiveTransaction({ events: [] }), { toDevice: false });
  assert.deepEqual(
    await encryption.receiveTransaction({ 'org.matrix.msc3202.device_one_time_keys_count': { '@ghost:hs': { DEV: { signed_curve25519: 5 } } } }),
    { toDevice: false },
    'key counts alone bring no room key',
  );
  assert.deepEqual(await encryption.receiveTransaction({
    [TO_DEVICE_KEY]: [{ type: 'm.room.encrypted', sender: '@alice:hs', content: {}, to_user_id: '@ghost:hs', to_device_id: 'DEV' }],
  }), { toDevice: true });
  assert.equal(fed.length, 2, 'the devices are fed only when the transaction has something for them');
});
