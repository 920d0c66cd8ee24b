// `login` is the opt-in to third-party chats: before the network is asked for a code, the bot
// says who can reach the user, what the other side learns and who can read along; not when
// the number is not valid or a login is in the way (nothing is being opted into then).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCoreHarness } from '../../helpers/core-harness';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678';

test('login says what opting in means before the code is asked for', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const order: string[] = [];
  h.network.codeRequested = () => void order.push('code requested');
  const login = h.core.commands().find((c) => c.name === 'login')!;
  const replies: string[] = [];
  await login.handler({
    sender: ALICE, access: 'user', roomId: '!management:example.org', args: [ALICE_PHONE],
    reply: async (text) => {
      order.push(text.split('\n')[0]);
      replies.push(text);
    },
  });
  assert.equal(replies.length, 2, JSON.stringify(replies));
  const [consent, codeSent] = replies;
  assert.match(consent, /^Before \+49 1511 2345678 is linked: what this means\n/);
  assert.match(consent, /Who can reach you: anyone on the Fake network who knows \+49 1511 2345678, also people you never wrote to/);
  assert.match(consent, /What the network and the people you chat with learn: your number, and that you read through a bridge/);
  assert.match(consent, /Your Matrix name and avatar are not shared/);
  assert.match(consent, /Whoever runs the bridge's server can read every message, both ways/);
  assert.match(consent, /"logout" undoes it/);
  assert.match(codeSent, /^The network is sending a one-time code/);
  assert.match(codeSent, /Send the code here/);
  assert.deepEqual(order, ['Before +49 1511 2345678 is linked: what this means', 'code requested', codeSent.split('\n')[0]]);
});

test('no opt-in text for a number that is not valid, or while logged in', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const bad = await h.command(ALICE, 'login 12');
  assert.equal(bad.length, 1, JSON.stringify(bad));
  assert.doesNotMatch(bad[0], /^Before /);
  assert.deepEqual(await h.command(ALICE, 'cancel'), ['The login in progress was given up; nothing was linked.'], 'the number step was still asked');
  await h.login(ALICE, ALICE_PHONE as never);
  const again = await h.command(ALICE, `login ${ALICE_PHONE}`);
  assert.deepEqual(again.map((r) => r.startsWith('Before ')), [false]);
  assert.match(again[0], /already logged in/);
});
