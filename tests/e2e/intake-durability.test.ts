// The Matrix transaction path of the real bridge (real Synapse, real gateway, a simulated
// remote person): transactions PUT to the bridge's own listener as a homeserver that
// restarted its transaction counter would send them, a bot command interrupted by a bridge
// restart, and the listener's answers to missing and wrong credentials.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from '../../src/matrix/commands/registry';
import {
  botReply, matrixUser, messageFrom, remoteText, simReceivesText, startChatFromRemote, startInteropEnv, type InteropEnv,
} from '../helpers/interop-env';

const ALICE_PHONE = '+4915112345678';
const SAM_PHONE = '+14155552671';

/** `auth` '' sends no Authorization header at all */
async function putTransaction(env: InteropEnv, txnId: string, events: unknown[], auth = `Bearer ${env.hsToken}`) {
  const res = await fetch(`${env.config.appservice.url}/_matrix/app/v1/transactions/${encodeURIComponent(txnId)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
    body: JSON.stringify({ events }),
  });
  const body = (await res.json()) as { errcode?: string };
  return { status: res.status, errcode: body.errcode };
}

test('intake: reused transaction IDs, interrupted commands, credentials', async (t) => {
  const env = await startInteropEnv();
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const { sim: sam, portal, managementRoom } = await startChatFromRemote(env, alice, ALICE_PHONE, SAM_PHONE);
  const event = (body: string) => ({
    type: 'm.room.message', room_id: portal, sender: alice.userId, event_id: `$${randomUUID()}`,
    origin_server_ts: Date.now(), content: { msgtype: 'm.text', body }, unsigned: { age: 1 },
  });

  await t.test('a transaction ID reused with new events is handled; the same events are handled once', async () => {
    const simMark = sam.received.length;
    // a fresh ID each run, reused as a homeserver that restarted its counter would (not a
    // number: a numbered one past Synapse's own would be refused as a gap, see below)
    const txnId = `reused-${Date.now()}`;
    const before = event('before the homeserver restart');
    const after = event('after the homeserver restart');
    const later = event('later');
    assert.equal((await putTransaction(env, txnId, [before])).status, 200);
    await simReceivesText(sam, ALICE_PHONE, 'before the homeserver restart', 30_000);
    assert.equal((await putTransaction(env, txnId, [after])).status, 200);
    assert.equal((await putTransaction(env, txnId, [after])).status, 200, 'the exact retry is acknowledged');
    assert.equal((await putTransaction(env, `${txnId}-next`, [after, later])).status, 200);
    await alice.sendText(portal, 'barrier');
    await simReceivesText(sam, ALICE_PHONE, 'barrier', 30_000);
    const texts = sam.received.slice(simMark).filter((m) => m.sender.phone === ALICE_PHONE).map((m) => remoteText(m.content));
    assert.deepEqual(texts, ['before the homeserver restart', 'after the homeserver restart', 'later', 'barrier']);
  });

  await t.test('a command interrupted by a bridge restart is answered after the restart, not re-run', async () => {
    let runs = 0;
    const hang: Command = {
      name: 'hang', help: 'never finishes (test)', permission: 'user', args: [],
      handler: () => {
        runs += 1;
        return new Promise(() => undefined);
      },
    };
    env.bridgeEnv.bridge.commands.register(hang);
    await alice.sendText(managementRoom, 'hang');
    const deadline = Date.now() + 20_000;
    while (runs === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(runs, 1, 'the command started');
    const mark = await alice.catchUp();
    await env.bridgeEnv.stopBridge();
    await env.bridgeEnv.startBridge();
    const reply = await alice.waitForEvent(messageFrom(managementRoom, env.botUserId, /interrupted by a bridge restart/), { after: mark, timeoutMs: 30_000 });
    assert.equal(reply.event.content.body, 'Your command "hang" was interrupted by a bridge restart before it finished; please send it again.');
    assert.equal(runs, 1, 'not run again');
    // and the restarted bridge answers commands as before
    assert.match(String((await botReply(env, alice, managementRoom, 'whoami')).content.body), /^You are @alice/);
  });

  await t.test('a transaction that skips numbers right after a start is refused once, and Synapse accepts the bridge\'s ping', async () => {
    await env.bridgeEnv.stopBridge();
    await env.bridgeEnv.startBridge();
    // Synapse numbers its transactions; one far past the last handled looks like a gap
    const last = Number(await env.bridgeEnv.bridge.store.transactions.lastProcessed() ?? '0');
    assert.ok(Number.isInteger(last), 'Synapse sent numbered transactions');
    const gap = String(last + 1000);
    const probed = event('after a gap');
    assert.equal((await putTransaction(env, gap, [probed])).status, 503, 'refused, so a held-back transaction would come first');
    // the bridge pings Synapse, which (not in recovery here) logs that it had nothing to retry
    const pinged = () => readFileSync(env.bridgeEnv.hs.logPath, 'utf8').includes('is not in recovery, not forcing retry');
    const deadline = Date.now() + 10_000;
    while (!pinged() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(pinged(), 'Synapse answered the bridge\'s appservice ping');
    assert.equal((await putTransaction(env, gap, [probed])).status, 200, 'offered again with nothing older: handled');
    await simReceivesText(sam, ALICE_PHONE, 'after a gap', 30_000);
  });

  await t.test('no token is 401 M_UNAUTHORIZED, a wrong one 403 M_FORBIDDEN, on every endpoint', async () => {
    assert.deepEqual(await putTransaction(env, 'auth', [], ''), { status: 401, errcode: 'M_UNAUTHORIZED' });
    assert.deepEqual(await putTransaction(env, 'auth', [], 'Bearer wrong'), { status: 403, errcode: 'M_FORBIDDEN' });
    const base = env.config.appservice.url;
    for (const [method, path] of [['GET', '/_matrix/app/v1/users/%40nobody%3Alocalhost'], ['GET', '/_matrix/app/v1/rooms/%23nothing%3Alocalhost'], ['POST', '/_matrix/app/v1/ping']]) {
      const res = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
      assert.deepEqual([res.status, ((await res.json()) as { errcode?: string }).errcode], [401, 'M_UNAUTHORIZED'], `${method} ${path}`);
    }
  });
});
