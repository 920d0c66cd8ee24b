/**
 * Groups at the gateway, frame by frame (protocol version 2): version negotiation, schema
 * refusals, who may change what, the sender-key device check, plaintext only where a member
 * needs it, fan-out per member device, and the store surviving a restart.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeviceAddress, EnvelopeGroupMessagePayload, EnvelopeGroupUpdatePayload, GroupInfo } from '../../../src/protocol/frames';
import { RawClient, registerUser, startTestGateway, testKeys, type TestGateway } from './gateway-harness';

let t: TestGateway;
let a: RawClient;
let b: RawClient;
let p: RawClient;
const ALICE = '+4915200000031';
const BOB = '+4915200000032';
const PLAIN = '+4915200000033';
let aliceDevice: number;
let bobDevices: number[];
let plainDevice: number;
let group: GroupInfo;

const body = (s: string): string => Buffer.from(s).toString('base64');
const alice = (): DeviceAddress => ({ phone: ALICE, deviceId: aliceDevice });

before(async () => {
  t = await startTestGateway();
  a = await RawClient.as(t.gateway.url, 'native', 2);
  b = await RawClient.as(t.gateway.url, 'native', 2);
  p = await RawClient.as(t.gateway.url, 'plainchat', 2);
  aliceDevice = await registerUser(a, ALICE);
  bobDevices = [await registerUser(b, BOB, true, true)];
  bobDevices.push((await b.ok('device.register', { phone: BOB, registrationId: 43, attributes: { bridged: false }, keys: testKeys(BOB) })).deviceId);
  plainDevice = await registerUser(p, PLAIN, false);
  for (const id of bobDevices) await b.ok('device.subscribe', { phone: BOB, deviceId: id });
  await p.ok('device.subscribe', { phone: PLAIN, deviceId: plainDevice });
});
after(async () => {
  for (const c of [a, b, p]) await c.close();
  await t.cleanup();
});

test('hello in version 2 is answered in version 2; the connection keeps that version', async () => {
  const c = await RawClient.connect(t.gateway.url);
  c.version = 2;
  const hello = await c.ok('hello', { provider: 'native', secret: 'native-test-secret' });
  assert.equal(hello.protocolVersion, 2);
  c.version = 1;
  const wrong = await c.fails('ping', {});
  assert.equal(wrong.code, 'unsupported_version');
  assert.match(wrong.message, /speaks version 2/);
  c.version = 2;
  await c.sync();
  await c.close();
});

test('a version-1 connection gets unknown_type for group requests, as a version-1 gateway answers', async () => {
  const old = await RawClient.as(t.gateway.url, 'native', 1);
  const e = await old.fails('group.list', { phone: ALICE });
  assert.equal(e.code, 'unknown_type');
  assert.match(e.message, /needs protocol version 2/);
  await old.close();
});

test('bad group params are invalid_params naming the field', async () => {
  const long = await a.fails('group.create', { from: alice(), name: 'x'.repeat(129) });
  assert.deepEqual([long.code, long.field], ['invalid_params', '/params/name']);
  const badId = await a.fails('group.get', { phone: ALICE, groupId: 'has space' });
  assert.deepEqual([badId.code, badId.field], ['invalid_params', '/params/groupId']);
  const twice = await a.fails('group.create', { from: alice(), name: 'g', members: [BOB, BOB] });
  assert.deepEqual([twice.code, twice.field], ['invalid_params', '/params/members']);
  const nobody = await a.fails('group.create', { from: alice(), name: 'g', members: ['+4915299999999'] });
  assert.deepEqual([nobody.code, nobody.field], ['account_not_found', '/params/members/0']);
});

test('create shows every member with provider, e2ee, bridged and devices, and tells every member device', async () => {
  group = (await a.ok('group.create', { from: alice(), name: 'Team', members: [BOB, PLAIN] })).group;
  assert.equal(group.revision, 1);
  assert.deepEqual(group.members, [
    { phone: ALICE, provider: 'native', e2ee: true, admin: true, bridged: false, devices: [aliceDevice] },
    { phone: BOB, provider: 'native', e2ee: true, admin: false, bridged: true, devices: bobDevices },
    { phone: PLAIN, provider: 'plainchat', e2ee: false, admin: false, bridged: false, devices: [plainDevice] },
  ]);
  for (const id of bobDevices) {
    const ev = await b.nextEvent('envelope', (e) => e.recipient.deviceId === id && e.payload.kind === 'group_update');
    const payload = ev.payload as EnvelopeGroupUpdatePayload;
    assert.equal(payload.change.action, 'created');
    assert.equal(ev.sender.phone, ALICE);
    await b.ok('envelope.ack', { phone: BOB, deviceId: id, envelopeId: ev.envelopeId });
  }
  await p.nextEvent('envelope', (e) => e.payload.kind === 'group_update');
});

test('only admins change members and metadata; the last admin cannot step down', async () => {
  const bob = { phone: BOB, deviceId: bobDevices[0] };
  for (const e of [
    await b.fails('group.update', { from: bob, groupId: group.groupId, name: 'mine' }),
    await b.fails('group.remove', { from: bob, groupId: group.groupId, members: [PLAIN] }),
    await b.fails('group.promote', { from: bob, groupId: group.groupId, member: BOB }),
  ]) {
    assert.equal(e.code, 'not_group_admin');
    assert.equal(e.field, '/params/from/phone');
  }
  assert.equal((await a.fails('group.demote', { from: alice(), groupId: group.groupId, member: ALICE })).code, 'last_admin');
  const same = await a.ok('group.update', { from: alice(), groupId: group.groupId, name: 'Team' });
  assert.equal(same.group.revision, 1, 'no change, no revision');
  const other = await RawClient.as(t.gateway.url, 'other', 2);
  assert.equal((await other.fails('group.get', { phone: ALICE, groupId: group.groupId })).code, 'forbidden');
  await other.close();
});

test('group.submit: exactly the e2ee members\' devices, plaintext only for members without e2ee', async () => {
  const sealed = bobDevices.map((deviceId) => ({ phone: BOB, deviceId }));
  const base = { from: alice(), groupId: group.groupId, ciphertext: body('sk'), plaintext: body('{"kind":"message"}') };
  const stale = await a.fails('group.submit', { ...base, clientMessageId: 'g-1', devices: [sealed[0], { phone: PLAIN, deviceId: plainDevice }] });
  assert.equal(stale.code, 'stale_devices');
  assert.deepEqual(stale.details, { missing: [sealed[1]], extra: [{ phone: PLAIN, deviceId: plainDevice }] });
  const noPlain = await a.fails('group.submit', { from: alice(), groupId: group.groupId, clientMessageId: 'g-1', ciphertext: body('sk'), devices: sealed });
  assert.deepEqual([noPlain.code, noPlain.field], ['encryption_mismatch', '/params/plaintext']);
  const res = await a.ok('group.submit', { ...base, clientMessageId: 'g-1', devices: sealed });
  assert.equal(res.duplicate, false);
  for (const id of bobDevices) {
    const ev = await b.nextEvent('envelope', (e) => e.recipient.deviceId === id && e.payload.kind === 'group_message');
    assert.deepEqual([(ev.payload as EnvelopeGroupMessagePayload).type, (ev.payload as EnvelopeGroupMessagePayload).body], ['senderkey', body('sk')]);
  }
  const atPlain = await p.nextEvent('envelope', (e) => e.payload.kind === 'group_message');
  assert.equal((atPlain.payload as EnvelopeGroupMessagePayload).type, 'plaintext');
  assert.equal((await a.ok('group.submit', { ...base, clientMessageId: 'g-1', devices: sealed })).duplicate, true);

  // without the plaintext member, plaintext is refused: an all-e2ee group never carries it
  await a.ok('group.remove', { from: alice(), groupId: group.groupId, members: [PLAIN] });
  const leak = await a.fails('group.submit', { ...base, clientMessageId: 'g-2', devices: sealed });
  assert.deepEqual([leak.code, leak.field], ['encryption_mismatch', '/params/plaintext']);
  // and the removed member can neither send nor distribute
  const removed = await p.fails('group.submit', { from: { phone: PLAIN, deviceId: plainDevice }, groupId: group.groupId, clientMessageId: 'p-1', plaintext: body('x') });
  assert.equal(removed.code, 'not_group_member');
});

test('group.distribute reaches only the named member devices and refuses anyone else', async () => {
  const res = await a.ok('group.distribute', { from: alice(), groupId: group.groupId, messages: [{ phone: BOB, deviceId: bobDevices[1], type: 'whisper', body: body('skdm') }] });
  assert.equal(res.devices, 1);
  const ev = await b.nextEvent('envelope', (e) => e.payload.kind === 'group_key');
  assert.equal(ev.recipient.deviceId, bobDevices[1]);
  const outsider = await a.fails('group.distribute', { from: alice(), groupId: group.groupId, messages: [{ phone: PLAIN, deviceId: plainDevice, type: 'whisper', body: body('x') }] });
  assert.deepEqual([outsider.code, outsider.field], ['not_group_member', '/params/messages/0/phone']);
  const noDevice = await a.fails('group.distribute', { from: alice(), groupId: group.groupId, messages: [{ phone: BOB, deviceId: 99, type: 'whisper', body: body('x') }] });
  assert.equal(noDevice.code, 'device_not_found');
});

test('groups survive a restart, and the last member leaving ends the group', async () => {
  await t.restart();
  const a2 = await RawClient.as(t.gateway.url, 'native', 2);
  const b2 = await RawClient.as(t.gateway.url, 'native', 2);
  const kept = (await a2.ok('group.get', { phone: ALICE, groupId: group.groupId })).group;
  assert.deepEqual(kept.members.map((m) => m.phone), [ALICE, BOB]);
  const left = (await a2.ok('group.leave', { from: alice(), groupId: group.groupId })).group;
  assert.deepEqual(left.members.map((m) => [m.phone, m.admin]), [[BOB, true]]);
  await b2.ok('group.leave', { from: { phone: BOB, deviceId: bobDevices[0] }, groupId: group.groupId });
  assert.equal((await b2.fails('group.get', { phone: BOB, groupId: group.groupId })).code, 'group_not_found');
  await a2.close();
  await b2.close();
});
