// pause / resume end to end (real Synapse, the real gateway, a simulated contact): while
// paused nothing crosses either way — the contact's message stays at the network, the user's
// stays at the bridge — and resume delivers both, each side in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { botReply, matrixUser, messageFrom, remoteText, simReceivesText, startChatFromRemote, startInteropEnv } from '../helpers/interop-env';

const ALICE_PHONE = '+4915112345678';
const SAM_PHONE = '+14155552671';
/** how long "nothing arrives" is watched for; a bridged message takes well under a second here */
const QUIET_MS = 4000;

test('pause stops both directions; resume delivers what waited, in order', async () => {
  const env = await startInteropEnv();
  try {
    const alice = await matrixUser(env, 'alice');
    const { sim: sam, ghost, portal, managementRoom } = await startChatFromRemote(env, alice, ALICE_PHONE, SAM_PHONE);
    const paused = await botReply(env, alice, managementRoom, 'pause', /^Paused/);
    assert.match(String(paused.content.body), /nothing is bridged for .* either way, until you send "resume"/);

    const mark = await alice.catchUp();
    const received: string[] = [];
    sam.on('message', (m) => {
      const body = remoteText(m.content);
      if (body) received.push(body);
    });
    await sam.sendText(ALICE_PHONE, 'from Sam while paused 1');
    await sam.sendText(ALICE_PHONE, 'from Sam while paused 2');
    await alice.sendText(portal, 'from Alice while paused 1');
    await alice.sendText(portal, 'from Alice while paused 2');
    await sleep(QUIET_MS);
    const seen = await alice.roomHistory(portal);
    assert.ok(!seen.some((e) => e.sender === ghost && /while paused/.test(String(e.content.body))), 'nothing from Sam reached Matrix');
    assert.deepEqual(received.filter((b) => /while paused/.test(b)), [], 'nothing from Alice reached Sam');

    await botReply(env, alice, managementRoom, 'resume', /^Resumed/);
    await alice.waitForEvent(messageFrom(portal, ghost, 'from Sam while paused 2'), { after: mark, timeoutMs: 30_000 });
    await simReceivesText(sam, ALICE_PHONE, 'from Alice while paused 2', 30_000);
    const after = (await alice.roomHistory(portal)).filter((e) => e.sender === ghost && /while paused/.test(String(e.content.body)));
    assert.deepEqual(after.map((e) => e.content.body), ['from Sam while paused 1', 'from Sam while paused 2']);
    assert.deepEqual(received.filter((b) => /while paused/.test(b)), ['from Alice while paused 1', 'from Alice while paused 2']);
  } finally {
    await env.stop();
  }
});
