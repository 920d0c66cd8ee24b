// The separate inbox with a real Synapse: the user's first portal brings an invite to a Space
// "Third-party chats" owned by the bot, and Synapse's own hierarchy API lists the portal in it;
// `inbox merged` takes it out (the hierarchy no longer lists it), `inbox separate` puts it
// back, in the same Space.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MatrixClient } from '../helpers/matrix-client';
import { botReply, matrixUser, roomState, startChatFromRemote, startInteropEnv } from '../helpers/interop-env';

const ALICE_PHONE = '+4915112345678';
const SAM_PHONE = '+14155552671';

/** the rooms Synapse lists as the space's children, as a client's space view asks for them */
async function children(client: MatrixClient, space: string): Promise<string[]> {
  const res = await client.request<{ rooms: { room_id: string }[] }>('GET', `/_matrix/client/v1/rooms/${encodeURIComponent(space)}/hierarchy`);
  return res.rooms.map((r) => r.room_id).filter((id) => id !== space);
}

test('inbox: portals in a Space "Third-party chats"; merged takes them out, separate puts them back', async (t) => {
  const env = await startInteropEnv();
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const mark = await alice.catchUp();
  const { portal, managementRoom } = await startChatFromRemote(env, alice, ALICE_PHONE, SAM_PHONE);
  const invite = await alice.waitForEvent(
    (e) => e.section === 'invite' && e.event.type === 'm.room.member' && e.event.state_key === alice.userId && e.event.sender === env.botUserId
      && e.roomId !== managementRoom,
    { after: mark, timeoutMs: 20_000 },
  );
  const space = invite.roomId;
  await alice.join(space);
  const state = await roomState(alice, space);
  assert.equal(state.find((e) => e.type === 'm.room.create')?.content.type, 'm.space', 'a Space');
  assert.equal(state.find((e) => e.type === 'm.room.name')?.content.name, 'Third-party chats');
  assert.deepEqual(await children(alice, space), [portal], 'Synapse lists the portal as the Space\'s child');
  const parent = (await roomState(alice, portal)).find((e) => e.type === 'm.space.parent');
  assert.equal(parent?.state_key, space);

  await t.test('inbox merged: the portal leaves the Space', async () => {
    const reply = await botReply(env, alice, managementRoom, 'inbox merged', /^inbox merged/);
    assert.match(String(reply.content.body), /1 chat was moved\.$/);
    assert.deepEqual(await children(alice, space), []);
    assert.match(String((await botReply(env, alice, managementRoom, 'settings', /^Your settings/)).content.body), /• inbox merged: /);
  });

  await t.test('inbox separate: the portal is back in the same Space', async () => {
    const reply = await botReply(env, alice, managementRoom, 'inbox separate', /^inbox separate/);
    assert.match(String(reply.content.body), /1 chat was moved\.$/);
    assert.deepEqual(await children(alice, space), [portal]);
  });
});
