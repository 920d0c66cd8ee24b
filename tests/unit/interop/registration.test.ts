/** Registration with the one-time code, device registration with keys, prekey refill. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEV_PROVIDERS } from '../../../src/gateway/config';
import { InteropRequestError } from '../../../src/interop-client/errors';
import { TestGateway } from './harness';

const isCode = (code: string) => (e: Error) => e instanceof InteropRequestError && e.code === code;

describe('registration (development gateway)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await TestGateway.start();
  });
  after(() => gw.close());

  it('proves the number with the code, then registers a device that publishes its keys', async () => {
    const sim = await gw.sim('+4915100000701', { register: false });
    assert.equal(sim.registered, false);
    const req = await sim.client.requestCode();
    assert.match(req.devCode ?? '', /^\d{6}$/);
    const wrong = req.devCode === '000000' ? '111111' : '000000';
    await assert.rejects(sim.client.confirmCode(wrong), isCode('code_invalid'));
    await assert.rejects(sim.client.registerDevice(), isCode('account_not_found'));
    const confirmed = await sim.client.confirmCode(req.devCode as string);
    assert.deepEqual(confirmed, { phone: '+4915100000701', provider: 'native', created: true });
    const deviceId = await sim.client.registerDevice();
    assert.equal(deviceId, 1);
    const { devices } = await sim.client.listDevices();
    assert.deepEqual(devices.map((d) => [d.deviceId, d.attributes.bridged, d.oneTimePreKeyCount]), [[1, false, 20]]);
  });

  it('answers re-verification with created: false', async () => {
    const sim = await gw.sim('+4915100000702');
    const again = await sim.client.requestCode();
    const res = await sim.client.confirmCode(again.devCode as string);
    assert.equal(res.created, false);
  });

  it('refuses a number held by another provider', async () => {
    await gw.sim('+4915100000703');
    const other = await gw.sim('+4915100000703', { provider: 'plainchat', register: false, databaseFile: `${gw.dir}/other.db` });
    const req = await other.client.requestCode().catch((e: Error) => e);
    if (req instanceof Error) {
      assert.ok(isCode('phone_taken')(req));
    } else {
      await assert.rejects(other.client.confirmCode(req.devCode as string), isCode('phone_taken'));
    }
  });

  it('refills one-time prekeys when the gateway says they run low', async () => {
    const bob = await gw.sim('+4915100000710', { preKeyBatch: 11 });
    const refilled = new Promise<{ oneTimePreKeyCount: number }>((resolve) => bob.client.once('preKeysRefilled', resolve));
    // every first contact consumes one of Bob's one-time prekeys (low water: 10)
    for (const phone of ['+4915100000711', '+4915100000712']) {
      const s = await gw.sim(phone);
      await s.sendText(bob.phone, 'hi');
    }
    const result = await refilled;
    assert.ok(result.oneTimePreKeyCount >= 10 + 9, `after the refill ${result.oneTimePreKeyCount} one-time prekeys`);
    // the refilled keys work: a new contact establishes a session and is read
    const late = await gw.sim('+4915100000713');
    const id = await late.sendText(bob.phone, 'after refill');
    await bob.waitFor('message', (m) => m.content.messageId === id);
  });
});

describe('signed prekey rotation', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await TestGateway.start();
  });
  after(() => gw.close());

  it('publishes new signed and last-resort prekeys; old and new contacts still get through', async () => {
    const bob = await gw.sim('+4915100000731');
    const early = await gw.sim('+4915100000732');
    await early.sendText(bob.phone, 'before rotation');
    await bob.waitFor('message', (m) => m.sender.phone === early.phone);
    const before = await early.connection.request('keys.fetch', { phone: bob.phone });

    const rotated = await bob.client.rotateSignedPreKeys();
    assert.notEqual(rotated.signedPreKeyId, before.devices[0].bundle?.signedPreKey.keyId);
    const afterFetch = await early.connection.request('keys.fetch', { phone: bob.phone });
    assert.equal(afterFetch.devices[0].bundle?.signedPreKey.keyId, rotated.signedPreKeyId);

    const late = await gw.sim('+4915100000733');
    const lateId = await late.sendText(bob.phone, 'after rotation');
    await bob.waitFor('message', (m) => m.content.messageId === lateId);
    const earlyId = await early.sendText(bob.phone, 'existing session');
    await bob.waitFor('message', (m) => m.content.messageId === earlyId);
  });
});

describe('registration (production gateway: code delivered out of band)', () => {
  let gw: TestGateway;
  const delivered = new Map<string, string>();
  before(async () => {
    gw = await TestGateway.start({ devMode: false, providers: DEV_PROVIDERS, deliverCode: (phone, code) => delivered.set(phone, code) });
  });
  after(() => gw.close());

  it('registers with the code the person received, never returned by the gateway', async () => {
    const sim = await gw.sim('+4915100000721', { register: false, codeProvider: async (phone) => delivered.get(phone) ?? '' });
    const deviceId = await sim.register();
    assert.equal(deviceId, 1);
    assert.ok(delivered.has('+4915100000721'));
    const req = await sim.client.requestCode();
    assert.equal(req.devCode, undefined);
  });
});
