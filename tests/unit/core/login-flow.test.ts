// The bot's login over the shared LoginFlow keeps its replies in order: when the network is
// down, "not reachable" is read before "code sent", even when that first reply is slow to
// reach the room and the background retry is quick.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCoreHarness } from '../../helpers/core-harness';
import { RemoteUnavailableError } from '../../../src/network/remote-network';

const ALICE = '@alice:example.org';

test('login with the network down: the "not reachable" reply comes before the later "code sent", however slow it is', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const login = h.core.commands().find((c) => c.name === 'login');
  assert.ok(login);
  h.network.refuseLogin = () => new RemoteUnavailableError();
  // the network is back before the first retry (5–20 ms in the harness)
  setTimeout(() => (h.network.refuseLogin = undefined), 1);
  const replies: string[] = [];
  let first = true;
  await login.handler({
    sender: ALICE,
    access: 'user',
    roomId: '!management:example.org',
    args: ['+4915112345678'],
    reply: async (text) => {
      if (text.startsWith('Before ')) return; // what logging in means, said before the code is asked for
      if (first) {
        first = false;
        // a slow homeserver: this reply lands long after the retry succeeded
        await sleep(150);
      }
      replies.push(text);
    },
  });
  const end = Date.now() + 3000;
  while (replies.length < 2 && Date.now() < end) await sleep(10);
  assert.equal(replies.length, 2, JSON.stringify(replies));
  assert.match(replies[0], /not reachable/);
  assert.match(replies[1], /sending a one-time code/);
});

test('cancel gives up a login waiting for its code: a code sent afterwards is not taken', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  assert.match((await h.command(ALICE, 'login +4915112345678')).at(-1)!, /sending a one-time code/);
  assert.deepEqual(await h.command(ALICE, 'cancel'), ['The login in progress was given up; nothing was linked.']);
  assert.equal(h.store.logins.getPending(ALICE), undefined);
  assert.match((await h.command(ALICE, 'code 123456'))[0], /^No login is waiting for a code/);
  assert.equal(h.store.logins.get(ALICE), undefined, 'nothing was linked');
  assert.deepEqual(await h.command(ALICE, 'cancel'), ['No login is in progress; nothing was done.']);
});
