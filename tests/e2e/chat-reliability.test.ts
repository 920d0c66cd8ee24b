// Nothing lost, nothing doubled, end to end (real Synapse, real gateway, the
// real bridge, a simulated remote person): the bridge restarted
// mid-conversation; the gateway down for 10 s while the Matrix user writes;
// the same appservice transaction pushed twice.
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MatrixClient } from '../helpers/matrix-client';
import type { SimUser } from '../../src/sim/sim-user';
import {
  matrixUser, messageFrom, remoteText, simReceivesText, startChatFromRemote, startInteropEnv, type InteropEnv,
} from '../helpers/interop-env';

const ALICE_PHONE = '+4915112345678';
const SAM_PHONE = '+14155552671';

/** Bodies of the ghost's messages in the portal matching `pattern`, in timeline order. */
async function ghostTexts(client: MatrixClient, portal: string, ghost: string, pattern: RegExp, after: number): Promise<string[]> {
  await client.sync();
  return client.seen.slice(after).filter(messageFrom(portal, ghost, pattern)).map((e) => String(e.event.content.body));
}

/** Texts the sim received from `from` matching `pattern`, in arrival order. */
function simTexts(sim: SimUser, from: string, pattern: RegExp, after = 0): string[] {
  return sim.received.slice(after).filter((m) => m.sender.phone === from).map((m) => remoteText(m.content) ?? '')
    .filter((s) => pattern.test(s));
}

async function putTransaction(env: InteropEnv, txnId: string, events: unknown[]): Promise<number> {
  const res = await fetch(`${env.config.appservice.url}/_matrix/app/v1/transactions/${encodeURIComponent(txnId)}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${env.hsToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  await res.text();
  return res.status;
}

test('reliability: restarts, outages and replays', async (t) => {
  const env = await startInteropEnv();
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const { sim: sam, ghost, portal } = await startChatFromRemote(env, alice, ALICE_PHONE, SAM_PHONE);

  await t.test('a bridge restart mid-conversation loses and duplicates nothing, either way', async () => {
    const mark = await alice.catchUp();
    const simMark = sam.received.length;
    await sam.sendText(ALICE_PHONE, 'r1');
    await sam.sendText(ALICE_PHONE, 'r2');
    await alice.waitForEvent(messageFrom(portal, ghost, 'r2'), { after: mark });
    await alice.sendText(portal, 'm1');
    // r3 is on its way when the bridge goes down; r4..r6 and m2, m3 are sent while it is down
    await sam.sendText(ALICE_PHONE, 'r3');
    await env.bridgeEnv.stopBridge();
    for (const body of ['r4', 'r5', 'r6']) await sam.sendText(ALICE_PHONE, body);
    await alice.sendText(portal, 'm2');
    await alice.sendText(portal, 'm3');
    await env.bridgeEnv.startBridge();

    await alice.waitForEvent(messageFrom(portal, ghost, 'r6'), { after: mark, timeoutMs: 60_000 });
    await simReceivesText(sam, ALICE_PHONE, 'm3', 60_000);
    // barriers: everything sent before them has been handled once they arrive
    await sam.sendText(ALICE_PHONE, 'r-barrier');
    await alice.waitForEvent(messageFrom(portal, ghost, 'r-barrier'), { after: mark, timeoutMs: 30_000 });
    await alice.sendText(portal, 'm-barrier');
    await simReceivesText(sam, ALICE_PHONE, 'm-barrier', 30_000);

    assert.deepEqual(await ghostTexts(alice, portal, ghost, /^r(\d|-barrier)$/, mark), ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r-barrier']);
    assert.deepEqual(simTexts(sam, ALICE_PHONE, /^m(\d|-barrier)$/, simMark), ['m1', 'm2', 'm3', 'm-barrier']);
  });

  await t.test('the gateway down for 10 s: the outbox drains in order once it is back', async () => {
    const simMark = sam.received.length;
    await env.gateway.stop();
    for (const body of ['g1', 'g2', 'g3']) await alice.sendText(portal, body);
    await new Promise((r) => setTimeout(r, 10_000));
    await env.gateway.restart();
    await simReceivesText(sam, ALICE_PHONE, 'g3', 60_000);
    assert.deepEqual(simTexts(sam, ALICE_PHONE, /^g\d$/, simMark), ['g1', 'g2', 'g3']);
    // and the other direction works again through the reconnected bridge
    const mark = await alice.catchUp();
    await sam.sendText(ALICE_PHONE, 'gateway is back');
    await alice.waitForEvent(messageFrom(portal, ghost, 'gateway is back'), { after: mark, timeoutMs: 30_000 });
  });

  await t.test('an appservice transaction pushed twice (in turn and at once) yields one remote message each', async () => {
    const simMark = sam.received.length;
    const event = (body: string) => ({
      type: 'm.room.message', room_id: portal, sender: alice.userId, event_id: `$${randomUUID()}`,
      origin_server_ts: Date.now(), content: { msgtype: 'm.text', body }, unsigned: { age: 1 },
    });
    const first = [event('replayed in turn')];
    const txnA = `replay-${randomUUID()}`;
    assert.equal(await putTransaction(env, txnA, first), 200);
    assert.equal(await putTransaction(env, txnA, first), 200, 'a replay is acknowledged, not refused');
    const second = [event('replayed at once')];
    const txnB = `replay-${randomUUID()}`;
    const statuses = await Promise.all([putTransaction(env, txnB, second), putTransaction(env, txnB, second)]);
    // a homeserver never sends one transaction twice at once; if the bridge turns one away,
    // the homeserver's retry is what follows, and that must be accepted
    if (statuses.some((s) => s !== 200)) assert.equal(await putTransaction(env, txnB, second), 200, `statuses ${statuses.join(', ')}`);

    await alice.sendText(portal, 'after the replays');
    await simReceivesText(sam, ALICE_PHONE, 'after the replays', 30_000);
    assert.deepEqual(simTexts(sam, ALICE_PHONE, /replayed|after the replays/, simMark),
      ['replayed in turn', 'replayed at once', 'after the replays']);
  });
});
