// What the other side learns: with `profile share off` (the default) nothing of the user's
// profile reaches the network; `on` publishes their Matrix display name and avatar; `off`
// again clears them; a change while disconnected is applied at the next connect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeSession, startCoreHarness } from '../../helpers/core-harness';
import { fromMatrix, waitFor } from '../../helpers/outbox-driver';
import type { E164 } from '../../../src/network/remote-network';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
// the 8-byte PNG signature and an IHDR start: enough for the type sniffer
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);

test('off by default: a login publishes nothing; on publishes the Matrix name and avatar; off clears them', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  h.matrix.userProfiles.set(ALICE, { displayName: 'Alice Liddell', avatarMxc: 'mxc://example.org/alice' });
  h.matrix.media.set('mxc://example.org/alice', PNG);
  const session = await h.login(ALICE, ALICE_PHONE);
  await sleep(50);
  assert.equal(session.published.length, 0, 'nothing published by a login');
  assert.match((await h.command(ALICE, 'profile')).join('\n'), /^profile share off: the network and your contacts get your number only/);

  const [on] = await h.command(ALICE, 'profile share on');
  assert.match(on, /^profile share on: .* Published: the name "Alice Liddell" and your avatar\.$/);
  assert.equal(session.published.length, 1);
  assert.equal(session.published[0].displayName, 'Alice Liddell');
  assert.deepEqual(session.published[0].avatar, PNG);
  assert.match((await h.command(ALICE, 'settings')).join('\n'), /• profile share on: /);

  const [off] = await h.command(ALICE, 'profile share off');
  assert.match(off, /^profile share off: .* Nothing of your profile is on the network\.$/);
  assert.deepEqual(session.published.at(-1), { displayName: null, avatar: null }, 'cleared at the network');
  assert.match((await h.command(ALICE, 'profile share sideways')).join('\n'), /takes "share on" or "share off"; nothing was changed/);
});

test('an avatar that is no image is left out and said; a change while disconnected is applied at the next connect', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  h.matrix.userProfiles.set(ALICE, { displayName: 'Alice', avatarMxc: 'mxc://example.org/not-an-image' });
  h.matrix.media.set('mxc://example.org/not-an-image', new TextEncoder().encode('<svg/>'));
  const session = await h.login(ALICE, ALICE_PHONE);
  const [on] = await h.command(ALICE, 'profile share on');
  assert.match(on, /Published: the name "Alice"\. Note: your avatar is not a PNG, JPEG, GIF or WebP image, so it was left out\.$/);
  assert.equal(session.published.at(-1)?.avatar, null);

  await h.core.sessions.disconnect(ALICE);
  const [later] = await h.command(ALICE, 'profile share off');
  assert.match(later, /You are not connected now: the network is updated when you are\.$/);
  assert.deepEqual(h.network.profiles.get(ALICE_PHONE), { displayName: 'Alice' }, 'still on the network while disconnected');
  const again = await h.login(ALICE, ALICE_PHONE);
  for (let i = 0; i < 100 && again.published.length === 0; i++) await sleep(10);
  assert.deepEqual(again.published, [{ displayName: null, avatar: null }], 'cleared at the next connect');
  assert.deepEqual(h.network.profiles.get(ALICE_PHONE), {});
});

test('a network that refuses the profile: the setting is kept and said so; the next connect tries again, and a failure there is logged', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  h.matrix.userProfiles.set(ALICE, { displayName: 'Alice' });
  const session = await h.login(ALICE, ALICE_PHONE);
  session.fail('publishProfile', 1);
  const [reply] = await h.command(ALICE, 'profile share on');
  assert.match(reply, /^Your setting is now "profile share on", but the network was not updated \(.*\); it is tried again at your next connect\.$/);
  assert.match((await h.command(ALICE, 'settings')).join('\n'), /• profile share on: /, 'the choice is kept');
  assert.equal(session.published.length, 0);

  await h.core.sessions.disconnect(ALICE);
  const again = await h.login(ALICE, ALICE_PHONE);
  for (let i = 0; i < 100 && again.published.length === 0; i++) await sleep(10);
  assert.deepEqual(again.published, [{ displayName: 'Alice', avatar: null }], 'published at the next connect');

  await h.core.sessions.disconnect(ALICE);
  h.network.failNextSessions = { method: 'publishProfile', times: 1 };
  await h.login(ALICE, ALICE_PHONE);
  const warned = () => h.log.lines.some((l) => l.level === 'warn' && l.text.includes(`profile of ${ALICE} not brought in line with "profile share"`));
  for (let i = 0; i < 100 && !warned(); i++) await sleep(10);
  assert.ok(warned(), 'a failure at connect is logged, for the connect after it to repair');
});

test('with sharing on, a change of the Matrix profile reaches the network once, however many portals show it; a room nickname does not', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  h.matrix.userProfiles.set(ALICE, { displayName: 'Alice Liddell' });
  const session = await h.login(ALICE, ALICE_PHONE);
  const sam = '+14155552671' as E164;
  const bob = '+14155552672' as E164;
  await session.deliver(FakeSession.text(sam, 's-1', 'hi'));
  await session.deliver(FakeSession.text(bob, 'b-1', 'hi'));
  const rooms = [String((await h.store.portals.get(ALICE, sam))?.roomId), String((await h.store.portals.get(ALICE, bob))?.roomId)];
  const renamed = (roomId: string, from: string, to: string) => fromMatrix(h, roomId, ALICE, 'm.room.member',
    { membership: 'join', displayname: to }, { state_key: ALICE, unsigned: { prev_content: { membership: 'join', displayname: from } } });
  const settled = async () => {
    await sleep(30);
    await h.core.queue.idle();
  };

  // sharing off: nothing is published, whatever changes
  h.matrix.userProfiles.set(ALICE, { displayName: 'Alice L.' });
  await renamed(rooms[0], 'Alice Liddell', 'Alice L.');
  await settled();
  assert.equal(session.published.length, 0);

  await h.command(ALICE, 'profile share on');
  assert.equal(session.published.at(-1)?.displayName, 'Alice L.');
  const before = session.published.length;
  h.matrix.userProfiles.set(ALICE, { displayName: 'Alice' });
  await Promise.all(rooms.map((r) => renamed(r, 'Alice L.', 'Alice')));
  await waitFor('the new name published', () => session.published.length > before);
  await settled();
  assert.deepEqual(session.published.slice(before).map((p) => p.displayName), ['Alice'], 'published once for both portals');

  // a nickname in one room: the global profile is unchanged, so nothing is published
  await renamed(rooms[1], 'Alice', 'Al (work)');
  await settled();
  assert.equal(session.published.length, before + 1);
});
