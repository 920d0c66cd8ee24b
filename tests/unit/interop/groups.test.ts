/**
 * Groups (protocol version 2) with the real gateway and three simulated users over real
 * sockets: create, add, every member sends and every other one decrypts (sender keys), a
 * removed member cannot decrypt what follows (rotation), leave, rename, the admin rules refused
 * with clear errors, and a version-1 client that still chats 1:1 and never sees a group envelope.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ProtocolAddress, SenderKeyMessage, groupDecrypt } from '@signalapp/libsignal-client';
import { InteropRequestError } from '../../../src/interop-client/errors';
import type { GroupInfo, RequestParams } from '../../../src/protocol/frames';
import type { SimUser } from '../../../src/sim/sim-user';
import { TestGateway, findPlaintext } from './harness';

const ALICE = '+4915100000201';
const BOB = '+4915100000202';
const CAROL = '+4915100000203';
const DAVE = '+4915100000204';
const PAT = '+4915100000205';

const textOf = (m: SimUser['groupMessages'][number]): string | undefined =>
  m.content.kind === 'message' && m.content.parts[0]?.type === 'text' ? m.content.parts[0].body : undefined;

async function refused(p: Promise<unknown>, code: string, messagePart: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof InteropRequestError, `expected a refusal, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, messagePart);
    return true;
  });
}

describe('groups between simulated users through the gateway', () => {
  let gw: TestGateway;
  let alice: SimUser;
  let bob: SimUser;
  let carol: SimUser;
  let group: GroupInfo;
  const submits: Array<RequestParams<'group.submit'>> = [];

  before(async () => {
    gw = await TestGateway.start({
      onRequest: (seen) => {
        if (seen.type === 'group.submit') submits.push(seen.params as RequestParams<'group.submit'>);
      },
    });
    alice = await gw.sim(ALICE);
    bob = await gw.sim(BOB);
    carol = await gw.sim(CAROL);
  });
  after(() => gw.close());

  it('creates a group with its creator as admin and tells the members, provider and e2ee included', async () => {
    assert.equal(alice.connection.protocolVersion, 2);
    group = await alice.client.groups.create('Trip', [BOB]);
    assert.deepEqual(group.members.map((m) => [m.phone, m.admin, m.provider, m.e2ee]), [[ALICE, true, 'native', true], [BOB, false, 'native', true]]);
    const atBob = await bob.waitFor('groupUpdate', (u) => u.groupId === group.groupId);
    assert.equal(atBob.change.action, 'created');
    assert.equal(atBob.change.actor, ALICE);
    assert.equal(atBob.group.name, 'Trip');
    assert.equal(atBob.group.revision, 1);
    assert.deepEqual(atBob.group.members.map((m) => m.phone), [ALICE, BOB]);
  });

  it('adds a member; everyone in the group hears of it', async () => {
    group = await alice.client.groups.add(group.groupId, [CAROL]);
    assert.deepEqual(group.members.map((m) => m.phone), [ALICE, BOB, CAROL]);
    for (const sim of [bob, carol]) {
      const u = await sim.waitFor('groupUpdate', (x) => x.change.action === 'added');
      assert.deepEqual(u.change.members, [CAROL]);
      assert.equal(u.group.revision, 2);
    }
  });

  it('each member sends and every other member decrypts; the gateway stores no plaintext', async () => {
    const senders = [alice, bob, carol];
    for (const from of senders) {
      const body = `group marker from ${from.phone}`;
      const { result } = await from.sendGroupText(group.groupId, body);
      assert.equal(result.encrypted, true);
      assert.deepEqual(result.plaintextTo, []);
      for (const to of senders.filter((s) => s !== from)) {
        const m = await to.waitFor('groupMessage', (x) => textOf(x) === body);
        assert.equal(m.groupId, group.groupId);
        assert.equal(m.sender.phone, from.phone);
        assert.equal(m.encrypted, true);
      }
    }
    const db = gw.openDatabase();
    try {
      assert.deepEqual(findPlaintext(db, 'group marker'), []);
    } finally {
      db.close();
    }
  });

  it('a removed member is told, and cannot decrypt the next message (the sender key rotated)', async () => {
    const before = submits.filter((s) => s.from.phone === ALICE).at(-1);
    assert.ok(before?.ciphertext);
    group = await alice.client.groups.remove(group.groupId, [CAROL]);
    const u = await carol.waitFor('groupUpdate', (x) => x.change.action === 'removed');
    assert.deepEqual(u.change.members, [CAROL]);
    assert.deepEqual(u.group.members.map((m) => m.phone), [ALICE, BOB]);

    const secret = 'after carol left: meet at the north gate';
    await alice.sendGroupText(group.groupId, secret);
    await bob.waitFor('groupMessage', (x) => textOf(x) === secret);
    const next = submits.filter((s) => s.from.phone === ALICE).at(-1);
    assert.ok(next?.ciphertext);
    assert.deepEqual(next.devices?.map((d) => d.phone), [BOB]);
    const bytes = new Uint8Array(Buffer.from(next.ciphertext, 'base64'));
    const old = new Uint8Array(Buffer.from(before.ciphertext, 'base64'));
    assert.notEqual(SenderKeyMessage.deserialize(bytes).distributionId(), SenderKeyMessage.deserialize(old).distributionId());
    // Carol holds every key she was ever sent; the ciphertext reached her anyway (say, from a
    // leaky gateway): she still cannot read it
    await assert.rejects(groupDecrypt(ProtocolAddress.new(ALICE, alice.deviceId as number), carol.keyStores().senderKey, bytes));
    // and the gateway no longer lets her take part
    await refused(carol.sendGroupText(group.groupId, 'still here?'), 'not_group_member', /is not a member of group/);
  });

  it('refuses what only admins may do, with errors that say why', async () => {
    await refused(bob.client.groups.add(group.groupId, [CAROL]), 'not_group_admin', /only an admin/);
    await refused(bob.client.groups.rename(group.groupId, 'Mine now'), 'not_group_admin', /only an admin/);
    await refused(bob.client.groups.remove(group.groupId, [ALICE]), 'not_group_admin', /only an admin/);
    await refused(alice.client.groups.demote(group.groupId, ALICE), 'last_admin', /only admin/);
    await refused(carol.client.groups.get(group.groupId), 'not_group_member', /not a member/);
    await refused(alice.client.groups.remove(group.groupId, [ALICE]), 'invalid_params', /group\.leave/);
    await refused(alice.client.groups.get('no-such-group'), 'group_not_found', /no group/);
  });

  it('renames, promotes, and lets members leave (the last admin hands the role on)', async () => {
    group = await alice.client.groups.rename(group.groupId, 'Trip 2026');
    const renamed = await bob.waitFor('groupUpdate', (x) => x.change.action === 'updated');
    assert.deepEqual(renamed.change.fields, ['name']);
    assert.equal(renamed.group.name, 'Trip 2026');

    group = await alice.client.groups.add(group.groupId, [CAROL]);
    await alice.client.groups.leave(group.groupId);
    const left = await bob.waitFor('groupUpdate', (x) => x.change.action === 'left');
    assert.deepEqual(left.change.members, [ALICE]);
    assert.deepEqual(left.change.promoted, [BOB], 'the member who joined first after the admin becomes admin');
    assert.deepEqual(left.group.members.map((m) => [m.phone, m.admin]), [[BOB, true], [CAROL, false]]);

    // the new admin can act; Carol (re-added) reads Bob's messages with a key distributed after she returned
    const { result } = await bob.sendGroupText(group.groupId, 'just us now');
    assert.equal(result.encrypted, true);
    await carol.waitFor('groupMessage', (x) => textOf(x) === 'just us now');
    await refused(alice.sendGroupText(group.groupId, 'back?'), 'not_group_member', /not a member/);
  });

  it('a member on a provider without e2ee gets plaintext, and every member sees that it is one', async () => {
    const pat = await gw.sim(PAT, { provider: 'plainchat' });
    const g = await bob.client.groups.create('Mixed', [CAROL, PAT]);
    assert.deepEqual(g.members.map((m) => [m.phone, m.e2ee]), [[BOB, true], [CAROL, true], [PAT, false]]);
    const { result } = await bob.sendGroupText(g.groupId, 'hello mixed group');
    assert.equal(result.encrypted, true);
    assert.deepEqual(result.plaintextTo, [PAT]);
    const atPat = await pat.waitFor('groupMessage', (x) => textOf(x) === 'hello mixed group');
    assert.equal(atPat.encrypted, false);
    const atCarol = await carol.waitFor('groupMessage', (x) => textOf(x) === 'hello mixed group');
    assert.equal(atCarol.encrypted, true);
    const fromPat = await pat.sendGroupText(g.groupId, 'hi from plainchat');
    assert.equal(fromPat.result.encrypted, false);
    await carol.waitFor('groupMessage', (x) => textOf(x) === 'hi from plainchat' && !x.encrypted);
  });

  it('a version-1 client still chats 1:1, cannot use groups, and never receives a group envelope', async () => {
    const dave = await gw.sim(DAVE, { protocolVersion: 1 });
    assert.equal(dave.connection.protocolVersion, 1);
    await bob.sendText(DAVE, 'hello old app');
    await dave.waitFor('message', (m) => m.content.kind === 'message' && m.content.parts[0]?.type === 'text' && m.content.parts[0].body === 'hello old app');
    await dave.sendText(BOB, 'hello new app');
    await bob.waitFor('message', (m) => m.content.kind === 'message' && m.content.parts[0]?.type === 'text' && m.content.parts[0].body === 'hello new app');

    await assert.rejects(dave.client.groups.create('x'), /protocol version 2/);
    await refused(
      dave.connection.request('group.list', { phone: DAVE }),
      'unknown_type',
      /needs protocol version 2/,
    );
    // a version-2 member adds Dave; his version-1 app gets none of the group's envelopes, and a
    // 1:1 message queued after them still arrives
    await bob.client.groups.add(group.groupId, [DAVE]);
    await bob.sendGroupText(group.groupId, 'dave cannot see this');
    await bob.sendText(DAVE, 'but this one');
    await dave.waitFor('message', (m) => m.content.kind === 'message' && m.content.parts[0]?.type === 'text' && m.content.parts[0].body === 'but this one');
    await dave.client.idle();
    assert.deepEqual(dave.groupUpdates, []);
    assert.deepEqual(dave.groupMessages, []);
    assert.deepEqual(dave.unreadable, []);
  });
});
