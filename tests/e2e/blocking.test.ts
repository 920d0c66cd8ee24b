// Blocking that the other side cannot see, end to end (real Synapse, the real gateway, the
// real bridge, a simulated remote person): after `block`, the person's messages and typing
// stop at the network (the gateway says it dropped them) and never become Matrix events,
// while their own client sees its submit accepted exactly as before; `unblock` brings back
// new messages, and what was sent meanwhile stays gone. Also what an appservice may read of a
// user's Matrix-side ignore list (nothing), which is why the bridge does not follow it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readRegistration } from '../../src/registration/read';
import type { Content } from '../../src/protocol/content';
import { MatrixClient, MatrixRequestError } from '../helpers/matrix-client';
import { botReply, matrixUser, messageFrom, startChatFromRemote, startInteropEnv } from '../helpers/interop-env';

const ALICE_PHONE = '+4915112345678';
const SAM_PHONE = '+14155552671';

const text = (body: string): Content => ({ kind: 'message', messageId: randomUUID(), timestamp: Date.now(), parts: [{ type: 'text', body, format: 'plain' }] });

test('block, unblock and blocked, with the network dropping what a blocked number sends', async (t) => {
  const env = await startInteropEnv();
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const { sim: sam, ghost, portal, managementRoom } = await startChatFromRemote(env, alice, ALICE_PHONE, SAM_PHONE);
  const gatewayLog = env.gateway.logLines ?? [];
  const dropped = (what: string) => gatewayLog.filter((line) => line === `${what} from a blocked sender dropped`).length;

  // what an unblocked submit looks like to Sam's client, to compare with the blocked one
  const before = await sam.client.sendContent(ALICE_PHONE, text('before the block'));
  await alice.waitForEvent(messageFrom(portal, ghost, 'before the block'), { timeoutMs: 20_000 });

  await t.test('block: the network confirms; the portal stays and the user is told so', async () => {
    const reply = await botReply(env, alice, managementRoom, `block ${SAM_PHONE}`, /^Blocked|already/);
    assert.match(String(reply.content.body), /^Blocked .*The network drops what they send you.*Your chat room with them stays, but nothing more from them arrives in it\./);
    assert.ok(gatewayLog.includes('block list replaced'), 'the gateway stored the list');
  });

  await t.test("a blocked number's message stops at the gateway; its sender sees the usual answer", async () => {
    const result = await sam.client.sendContent(ALICE_PHONE, text('while blocked'));
    assert.deepEqual(Object.keys(result).sort(), Object.keys(before).sort());
    assert.equal(result.duplicate, false);
    assert.equal(result.encrypted, true);
    assert.deepEqual(result.deviceIds, before.deviceIds, 'addressed to the same devices, as for a delivered message');
    assert.equal(dropped('message'), 1, 'the gateway dropped it at submit time');
    const typing = (await sam.client.sendTyping(ALICE_PHONE, 'started')) as { devices: number };
    assert.equal(typing.devices, 1, "counted as reached, like any typing to a subscribed device");
    assert.equal(dropped('typing signal'), 1);
    const receipt = (await sam.client.sendStatus(ALICE_PHONE, 'read', ['some-message'])) as { devices: number };
    assert.equal(receipt.devices, 1, 'queued, as far as Sam can tell');
    assert.equal(dropped('receipt'), 1);
  });

  await t.test('blocked lists the number', async () => {
    const reply = await botReply(env, alice, managementRoom, 'blocked', /^You blocked/);
    assert.match(String(reply.content.body), /^You blocked 1:\n• .*\+1 415 555 2671.*\nThe network drops what they send\.$/);
  });

  await t.test('unblock: new messages arrive again, the one sent while blocked never does', async () => {
    const reply = await botReply(env, alice, managementRoom, `unblock ${SAM_PHONE}`, /^Unblocked/);
    assert.match(String(reply.content.body), /New messages from them reach you again; what they sent while blocked is gone\./);
    const mark = await alice.catchUp();
    await sam.client.sendContent(ALICE_PHONE, text('after the unblock'));
    await alice.waitForEvent(messageFrom(portal, ghost, 'after the unblock'), { after: mark, timeoutMs: 20_000 });
    assert.equal(dropped('message'), 1, 'nothing more was dropped');
    const history = await alice.roomHistory(portal);
    const bodies = history.filter((e) => e.type === 'm.room.message' && e.sender === ghost).map((e) => e.content.body);
    assert.deepEqual(bodies.filter((b) => /before the block|while blocked|after the unblock/.test(String(b))), ['before the block', 'after the unblock']);
    assert.equal(alice.seen.filter((e) => e.event.content.body === 'while blocked').length, 0, 'no Matrix event for it, anywhere');
  });

  await t.test("the appservice cannot read a user's m.ignored_user_list (so the bridge cannot follow it)", async () => {
    await alice.request('PUT', `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/account_data/m.ignored_user_list`, { ignored_users: { [ghost]: {} } });
    const own = await alice.request<{ ignored_users: Record<string, unknown> }>('GET', `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/account_data/m.ignored_user_list`);
    assert.ok(ghost in own.ignored_users, 'alice herself reads it');
    const asToken = readRegistration(env.config.appservice.registration).as_token;
    const asAlice = new MatrixClient(env.bridgeEnv.hs.url, asToken, alice.userId, true);
    await assert.rejects(
      asAlice.request('GET', `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/account_data/m.ignored_user_list`),
      // Synapse: 403 M_FORBIDDEN "Application service cannot masquerade as this user"
      (error: unknown) => error instanceof MatrixRequestError && error.status === 403 && error.errcode === 'M_FORBIDDEN',
      'an appservice may act only as users in its namespace',
    );
  });
});
