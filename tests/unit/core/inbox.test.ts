// The separate inbox: one Space per user, made on their first portal, every portal its child;
// `inbox merged` takes the portals out, `inbox separate` puts them back into the same Space;
// an outage while the Space is made is retried with the portal's setup, a refusal costs only
// the placement; a left portal leaves the Space; a setting that does not fit reads as default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpError, startCoreHarness, type CoreHarness } from '../../helpers/core-harness';
import type { E164 } from '../../../src/network/phone';

const ALICE = '@alice:example.org';
const SAM = '+14155552671' as E164;
const KIM = '+447700900123' as E164;

/** a harness with Alice known to the bridge (as her management room would make her) */
async function harness(t: { after(fn: () => unknown): void }): Promise<CoreHarness> {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  await h.store.users.ensure(ALICE);
  return h;
}

const child = (h: CoreHarness, space: string, room: string) => h.matrix.state.get(`${space}|m.space.child|${room}`);
const parent = (h: CoreHarness, room: string, space: string) => h.matrix.state.get(`${room}|m.space.parent|${space}`);

test('the first portal makes the user a Space "Third-party chats", and every portal is its child', async (t) => {
  const h = await harness(t);
  const first = await h.core.portals.ensure(ALICE, SAM);
  const second = await h.core.portals.ensure(ALICE, KIM);
  assert.equal(h.matrix.spaces.length, 1, 'one Space, reused');
  assert.deepEqual(h.matrix.spaces[0], { owner: ALICE, name: 'Third-party chats', topic: h.matrix.spaces[0].topic });
  const space = (await h.store.users.get(ALICE))?.inboxSpace;
  assert.equal(space, '!space1:example.org');
  for (const room of [first.roomId, second.roomId]) {
    assert.deepEqual(child(h, space!, room), { via: ['example.org'] });
    assert.deepEqual(parent(h, room, space!), { via: ['example.org'], canonical: true });
  }
});

test('inbox merged takes every portal out of the Space; a new portal then stays out; inbox separate puts all back in the same Space', async (t) => {
  const h = await harness(t);
  const sam = await h.core.portals.ensure(ALICE, SAM);
  const space = (await h.store.users.get(ALICE))!.inboxSpace!;
  const merged = await h.command(ALICE, 'inbox merged');
  assert.match(merged.join('\n'), /^inbox merged: your chats with interop contacts sit among your other Matrix rooms, in no Space\..* 1 chat was moved\.$/);
  assert.deepEqual(child(h, space, sam.roomId), {}, 'a child without via is no child');
  assert.deepEqual(parent(h, sam.roomId, space), {});
  const kim = await h.core.portals.ensure(ALICE, KIM);
  assert.equal(child(h, space, kim.roomId), undefined, 'a portal made while merged is not put into the Space');
  assert.match((await h.command(ALICE, 'settings')).join('\n'), /^Your settings:\n• inbox merged: /);
  const separate = await h.command(ALICE, 'inbox separate');
  assert.match(separate.join('\n'), /2 chats were moved\.$/);
  assert.equal(h.matrix.spaces.length, 1, 'the same Space again');
  for (const room of [sam.roomId, kim.roomId]) assert.deepEqual(child(h, space, room), { via: ['example.org'] });
  assert.ok(h.matrix.count('membership') >= 1, 'whether the user is still in the Space is checked');
});

test('the homeserver down while the Space is made: the portal setup is retried and the portal ends up in the Space', async (t) => {
  const h = await harness(t);
  h.matrix.fail('createSpace', 1);
  await assert.rejects(h.core.portals.ensure(ALICE, SAM), /ECONNREFUSED/);
  assert.equal((await h.store.portals.get(ALICE, SAM))?.setupPending, true, 'the setup is not called done');
  const portal = await h.core.portals.ensure(ALICE, SAM);
  assert.equal(h.matrix.rooms.length, 1, 'one portal room');
  assert.equal(h.matrix.spaces.length, 1);
  assert.deepEqual(child(h, (await h.store.users.get(ALICE))!.inboxSpace!, portal.roomId), { via: ['example.org'] });
  assert.equal((await h.store.portals.get(ALICE, SAM))?.setupPending, false);
});

test('a Space the homeserver refuses costs only the placement: the portal works and the refusal is logged', async (t) => {
  const h = await harness(t);
  h.matrix.fail('createSpace', 1, () => httpError(403));
  const portal = await h.core.portals.ensure(ALICE, SAM);
  assert.equal((await h.store.portals.get(ALICE, SAM))?.setupPending, false);
  assert.equal((await h.store.users.get(ALICE))?.inboxSpace ?? null, null);
  assert.ok(h.log.lines.some((l) => l.level === 'warn' && l.text.includes(`portal ${portal.roomId} not added to the inbox space`)), JSON.stringify(h.log.lines));
  // asked again, the user gets their Space and the portal is moved into it
  assert.match((await h.command(ALICE, 'inbox separate')).join('\n'), /1 chat was moved/);
  assert.deepEqual(child(h, (await h.store.users.get(ALICE))!.inboxSpace!, portal.roomId), { via: ['example.org'] });
});

test('a Space that cannot be made when switching is said, with how to retry, and the setting is kept', async (t) => {
  const h = await harness(t);
  await h.command(ALICE, 'inbox merged');
  await h.core.portals.ensure(ALICE, SAM);
  h.matrix.fail('createSpace', 1);
  const reply = (await h.command(ALICE, 'inbox separate')).join('\n');
  assert.match(reply, /^Your setting is now "inbox separate", but the Space could not be set up \(.*ECONNREFUSED.*\)\. Send "inbox separate" again to retry\.$/);
  assert.match((await h.command(ALICE, 'settings')).join('\n'), /inbox separate/);
  assert.match((await h.command(ALICE, 'inbox separate')).join('\n'), /1 chat was moved/);
});

test('a portal the user leaves leaves their Space too', async (t) => {
  const h = await harness(t);
  const portal = await h.core.portals.ensure(ALICE, SAM);
  const space = (await h.store.users.get(ALICE))!.inboxSpace!;
  await h.core.matrixIntake.onEvent({
    type: 'm.room.member', room_id: portal.roomId, sender: ALICE, state_key: ALICE, event_id: '$left', content: { membership: 'leave' },
  });
  assert.deepEqual(child(h, space, portal.roomId), {});
});

test('the homeserver down while a left portal leaves the Space: the transaction fails, and its retry finishes the leave', async (t) => {
  const h = await harness(t);
  const portal = await h.core.portals.ensure(ALICE, SAM);
  const space = (await h.store.users.get(ALICE))!.inboxSpace!;
  const left = { type: 'm.room.member', room_id: portal.roomId, sender: ALICE, state_key: ALICE, event_id: '$left', content: { membership: 'leave' } };
  h.matrix.fail('setState', 1);
  await assert.rejects(h.core.matrixIntake.onEvent(left), /ECONNREFUSED/);
  assert.equal((await h.store.portals.get(ALICE, SAM))?.roomId, portal.roomId, 'the room is not forgotten before the Space is updated');
  await h.core.matrixIntake.onEvent(left);
  assert.deepEqual(child(h, space, portal.roomId), {});
  assert.equal((await h.store.portals.get(ALICE, SAM))?.roomId, null);
});

test('inbox with a word it does not take changes nothing; without one it says the setting; a stored value that does not fit reads as the default', async (t) => {
  const h = await harness(t);
  assert.match((await h.command(ALICE, 'inbox sideways')).join('\n'), /^"inbox" takes "separate" or "merged" \(got "sideways"\); nothing was changed\.$/);
  assert.match((await h.command(ALICE, 'inbox')).join('\n'), /^inbox separate: /);
  await h.store.users.ensure(ALICE);
  await h.store.users.updateSettings(ALICE, { inbox: 42, kept: 'yes' });
  assert.match((await h.command(ALICE, 'inbox')).join('\n'), /^inbox separate: /);
  await h.command(ALICE, 'inbox merged');
  assert.deepEqual((await h.store.users.get(ALICE))?.settings, { inbox: 'merged', kept: 'yes' }, 'keys this release does not know are kept');
});
