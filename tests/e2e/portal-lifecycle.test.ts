// A portal the user leaves is given up: the ghost and the bot leave too, and the contact's
// next message opens a new portal instead of vanishing into a room nobody reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readRegistration } from '../../src/registration/read';
import { registerUser } from '../helpers/synapse-register';
import { acceptPortalInvite, matrixUser, messageFrom, simReceivesText, startChatFromRemote, startInteropEnv } from '../helpers/interop-env';

const ALICE_PHONE = '+4915112345678';
const SAM_PHONE = '+14155552671';

test('leaving a portal, then a new message', async (t) => {
  const env = await startInteropEnv();
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const { sim, ghost, portal } = await startChatFromRemote(env, alice, ALICE_PHONE, SAM_PHONE);

  await t.test("the portal is a DM on the ghost's side too (m.direct)", async () => {
    const { as_token: asToken } = readRegistration(env.bridgeEnv.config.appservice.registration);
    const url = `${env.bridgeEnv.hs.url}/_matrix/client/v3/user/${encodeURIComponent(ghost)}/account_data/m.direct?user_id=${encodeURIComponent(ghost)}`;
    const res = await fetch(url, { headers: { Authorization: `Bearer ${asToken}` } });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json(), { [alice.userId]: [portal] });
  });

  await t.test('the ghost and the bot leave the room the user left', async () => {
    const admin = await registerUser(env.bridgeEnv.hs, 'admin', 'admin-password', true);
    const members = () => joinedMembers(env.bridgeEnv.hs.url, admin.accessToken, portal);
    assert.deepEqual((await members()).sort(), [alice.userId, env.botUserId, ghost].sort());
    await alice.leave(portal);
    await waitUntil(async () => (await members()).length === 0, 20_000);
  });

  await t.test("the contact's next message opens a new portal; replies stay in it", async () => {
    const mark = await alice.catchUp();
    const first = await sim.sendText(ALICE_PHONE, 'are you there?');
    const fresh = await acceptPortalInvite(alice, ghost, { after: mark, timeoutMs: 30_000 });
    assert.notEqual(fresh, portal);
    await alice.waitForEvent(messageFrom(fresh, ghost, 'are you there?'), { after: mark, timeoutMs: 20_000 });
    await alice.sendText(fresh, 'yes, here');
    await simReceivesText(sim, ALICE_PHONE, 'yes, here', 30_000);
    await sim.reply(ALICE_PHONE, first, 'good');
    const reply = await alice.waitForEvent(messageFrom(fresh, ghost, 'good'), { after: mark, timeoutMs: 20_000 });
    const relation = reply.event.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id: string } } | undefined;
    const original = alice.seen.find((e) => e.roomId === fresh && e.event.content.body === 'are you there?');
    assert.equal(relation?.['m.in_reply_to']?.event_id, original?.event.event_id);
  });
});

/** the users joined to `roomId`, through Synapse's admin API (the test user has left it) */
async function joinedMembers(hsUrl: string, adminToken: string, roomId: string): Promise<string[]> {
  const res = await fetch(`${hsUrl}/_synapse/admin/v1/rooms/${encodeURIComponent(roomId)}/members`, {
    headers: { Authorization: `Bearer ${adminToken}` },
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { members: string[] }).members;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
