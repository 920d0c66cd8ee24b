// Providers end to end (real Synapse, the real gateway, the real bridge, simulated remote
// people): `providers` lists what the gateway is configured with (providers.list); after
// `block plainchat`, a plainchat person's message is dropped by the bridge before any Matrix
// event exists (no invite, no room, no message-request notice), and all the user sees of it
// is the summary; a native person still gets through (as a message request, then a chat).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayPhone, type E164 } from '../../src/network/phone';
import type { SeenEvent } from '../helpers/matrix-client';
import {
  acceptMessageRequest, acceptPortalInvite, botReply, ghostId, loginMatrixUser, matrixUser, messageFrom, newSim, startInteropEnv,
} from '../helpers/interop-env';

const ALICE_PHONE = '+4915112345678';
const PAT_PHONE = '+4915112340021';
const NINA_PHONE = '+4915112340022';

test('block plainchat: its people are dropped before Matrix, summarised once; native still reaches the user', async (t) => {
  const env = await startInteropEnv();
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const { managementRoom } = await loginMatrixUser(env, alice, ALICE_PHONE);
  const patGhost = ghostId(env, PAT_PHONE);
  const involvesPat = (e: SeenEvent) =>
    e.event.sender === patGhost || e.event.state_key === patGhost ||
    JSON.stringify(e.event.content).includes(displayPhone(PAT_PHONE as E164)) || JSON.stringify(e.event.content).includes(PAT_PHONE);

  await t.test('providers lists what the gateway is configured with, with its encryption', async () => {
    const reply = await botReply(env, alice, managementRoom, 'providers', /provider\(s\):/);
    const body = String(reply.content.body);
    assert.match(body, /• native: end-to-end encrypted; allowed \(default\)/);
    assert.match(body, /• plainchat: no end-to-end encryption; allowed \(default\)/);
    assert.doesNotMatch(body, /Only providers the bridge has seen/, 'the list came from the network');
  });

  await t.test('block plainchat answers what it now means', async () => {
    const reply = await botReply(env, alice, managementRoom, 'block plainchat', /^Blocked plainchat|There is no provider/);
    assert.match(String(reply.content.body), /^Blocked plainchat: messages, receipts and typing from anyone on it are dropped before they reach you/);
    const list = await botReply(env, alice, managementRoom, 'providers', /provider\(s\):/);
    assert.match(String(list.content.body), /• plainchat: no end-to-end encryption; blocked \(your choice\)/);
  });

  await t.test("a plainchat person's message: no invite, no room, no request notice; only the summary", async () => {
    const mark = await alice.catchUp();
    const pat = await newSim(env, PAT_PHONE, 'plainchat');
    await pat.sendText(ALICE_PHONE, 'hello from plainchat');
    // the first drop is summarised at once (later ones at most once a day)
    const summary = await alice.waitForEvent(
      messageFrom(managementRoom, env.botUserId, /from providers you blocked was dropped: plainchat \(1\)/), { after: mark, timeoutMs: 30_000 });
    assert.doesNotMatch(String(summary.event.content.body), /hello from plainchat|\+49/, 'neither the text nor the number');
    await alice.catchUp();
    const since = alice.seen.slice(mark);
    assert.deepEqual(since.filter(involvesPat).map((e) => `${e.section} ${e.event.type}`), [], 'no invite, room, event or notice about them');
    assert.equal(since.filter((e) => e.section === 'invite').length, 0, 'no invitation at all');
    assert.equal(since.filter((e) => /Message request/.test(String(e.event.content.body ?? ''))).length, 0, 'no message request');
    assert.ok(since.every((e) => !String(e.event.content.body ?? '').includes('hello from plainchat')), 'the text appears nowhere');
  });

  await t.test('a native person still gets through: a message request, then a chat', async () => {
    const mark = await alice.catchUp();
    const nina = await newSim(env, NINA_PHONE, 'native');
    await nina.sendText(ALICE_PHONE, 'hello from native');
    await acceptMessageRequest(env, alice, managementRoom, NINA_PHONE, mark);
    const ninaGhost = ghostId(env, NINA_PHONE);
    const portal = await acceptPortalInvite(alice, ninaGhost, { after: mark, timeoutMs: 30_000 });
    await alice.waitForEvent(messageFrom(portal, ninaGhost, 'hello from native'), { timeoutMs: 20_000 });
    assert.equal(alice.seen.filter((e) => e.event.sender === patGhost).length, 0, 'still nothing from the plainchat ghost');
  });
});
