/**
 * A peer reinstalls (new identity key; the network gives the new install a new device id):
 * the other side detects the change whether it sends first or receives first, surfaces old and
 * new safety numbers, and keeps talking (trust on first use, as WhatsApp does).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IdentityChangedError } from '../../../src/interop-client/sender';
import type { SimUser } from '../../../src/sim/sim-user';
import { TestGateway } from './harness';

async function reinstall(gw: TestGateway, old: SimUser, file: string): Promise<SimUser> {
  const oldDevice = old.deviceId as number;
  await old.close();
  const fresh = await gw.sim(old.phone, { databaseFile: join(gw.dir, file) });
  assert.notEqual(fresh.deviceId, oldDevice, 'the new install gets a new device id');
  await fresh.connection.request('device.remove', { phone: fresh.phone, deviceId: oldDevice });
  return fresh;
}

describe('identity key change', () => {
  let gw: TestGateway;

  before(async () => {
    gw = await TestGateway.start();
  });
  after(() => gw.close());

  it('is detected by a peer that sends to the reinstalled phone', async () => {
    const alice = await gw.sim('+4915100000601');
    let bob = await gw.sim('+4915100000602');
    await alice.sendText(bob.phone, 'before');
    await bob.waitFor('message', (m) => m.sender.phone === alice.phone);
    const [before] = await alice.safetyNumbers(bob.phone);

    bob = await reinstall(gw, bob, 'bob-reinstalled.db');
    const id = await alice.sendText(bob.phone, 'after the reinstall');
    const change = await alice.waitFor('identityChanged', (e) => e.remotePhone === bob.phone);
    assert.equal(change.oldDeviceId, 1);
    assert.equal(change.deviceId, bob.deviceId);
    assert.equal(change.oldSafetyNumber, before.safetyNumber);
    assert.notEqual(change.newSafetyNumber, change.oldSafetyNumber);
    assert.notEqual(change.newFingerprint, change.oldFingerprint);

    // the message still arrives (TOFU), and both phones now show the new safety number
    await bob.waitFor('message', (m) => m.content.messageId === id);
    const [now] = await alice.safetyNumbers(bob.phone);
    assert.equal(now.safetyNumber, change.newSafetyNumber);
    const [fromBob] = await bob.safetyNumbers(alice.phone);
    assert.equal(fromBob.safetyNumber, now.safetyNumber);
  });

  it('is detected by a peer that receives first from the reinstalled phone', async () => {
    const carol = await gw.sim('+4915100000611');
    let dave = await gw.sim('+4915100000612');
    await dave.sendText(carol.phone, 'hi carol');
    await carol.waitFor('message', (m) => m.sender.phone === dave.phone);

    dave = await reinstall(gw, dave, 'dave-reinstalled.db');
    const id = await dave.sendText(carol.phone, 'new phone, same number');
    const msg = await carol.waitFor('message', (m) => m.content.messageId === id);
    assert.equal(msg.sender.deviceId, dave.deviceId);
    const change = await carol.waitFor('identityChanged', (e) => e.remotePhone === dave.phone);
    assert.equal(change.deviceId, dave.deviceId);
    assert.notEqual(change.newSafetyNumber, change.oldSafetyNumber);
  });

  it('holds the first send after a change when the sender asks for it', async () => {
    const erin = await gw.sim('+4915100000621', { holdOnIdentityChange: true });
    let frank = await gw.sim('+4915100000622');
    await erin.sendText(frank.phone, 'before');
    await frank.waitFor('message', (m) => m.sender.phone === erin.phone);

    frank = await reinstall(gw, frank, 'frank-reinstalled.db');
    await assert.rejects(erin.sendText(frank.phone, 'held back'), (e: Error) => e instanceof IdentityChangedError && e.phone === frank.phone);
    await erin.waitFor('identityChanged', (e) => e.remotePhone === frank.phone);
    // confirmed: the next send goes through, and the held one never arrived
    const id = await erin.sendText(frank.phone, 'confirmed, sending');
    await frank.waitFor('message', (m) => m.content.messageId === id);
    assert.equal(frank.received.some((m) => m.content.kind === 'message' && m.content.parts[0]?.type === 'text' && m.content.parts[0].body === 'held back'), false);
  });
});
