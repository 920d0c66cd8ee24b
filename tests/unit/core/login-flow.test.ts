// The bot's phone-and-code login over the one step login: with the network down the number
// is retried in the background (tests/unit/core/login-retry.test.ts has the rest), and
// `cancel` gives up a login waiting for its code, so a code sent afterwards is not taken.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCoreHarness } from '../../helpers/core-harness';
import { RemoteUnavailableError } from '../../../src/network/remote-network';

const ALICE = '@alice:example.org';

test('login with the network down: the "waiting" reply comes before the later "went through", however slow it is', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  // down for the first try only: the first retry (5–20 ms in the harness) goes through
  h.network.refuseLogin = () => {
    h.network.refuseLogin = undefined;
    return new RemoteUnavailableError();
  };
  const replies: string[] = [];
  let first = true;
  const login = h.core.commands().find((c) => c.name === 'login')!;
  await login.handler({
    sender: ALICE, access: 'user', roomId: '!management:example.org', args: ['+4915112345678'],
    reply: async (text) => {
      if (text.startsWith('Before ')) return; // what logging in means, said before the number is submitted
      if (first) {
        first = false;
        // a slow homeserver: this reply lands long after the retry went through
        await sleep(100);
      }
      replies.push(text);
    },
  });
  for (let i = 0; i < 3000 && replies.length < 3; i++) await sleep(1);
  assert.equal(replies.length, 3, JSON.stringify(replies));
  assert.match(replies[0], /not reachable right now\. I keep trying/);
  assert.match(replies[1], /reachable again/);
  assert.match(replies[2], /sending a one-time code/);
  assert.equal(await h.core.expectsCode(ALICE), true);
});

test('cancel gives up a login waiting for its code: a code sent afterwards is not taken', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  assert.match((await h.command(ALICE, 'login +4915112345678')).at(-1)!, /sending a one-time code/);
  assert.deepEqual(await h.command(ALICE, 'cancel'), ['The login in progress was given up; nothing was linked.']);
  assert.equal(h.core.stepLogins.current(ALICE), undefined);
  assert.deepEqual(await h.command(ALICE, 'code 123456'), ['No login is in progress. Start with: login']);
  assert.equal(await h.store.logins.get(ALICE), undefined, 'nothing was linked');
  assert.deepEqual(await h.command(ALICE, 'cancel'), ['No login is in progress; nothing was done.']);
});
