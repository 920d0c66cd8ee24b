// The bot's phone-and-code login over the one step login: with the network down the number
// is asked again (nothing is requested in the background), and `cancel` gives up a login
// waiting for its code, so a code sent afterwards is not taken.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCoreHarness } from '../../helpers/core-harness';
import { RemoteUnavailableError } from '../../../src/network/remote-network';

const ALICE = '@alice:example.org';

test('login with the network down: said at once, the number is asked again, and sending it again goes on', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  h.network.refuseLogin = () => new RemoteUnavailableError();
  const down = await h.command(ALICE, 'login +4915112345678');
  assert.equal(down.length, 2, JSON.stringify(down));
  assert.match(down[0], /^Before \+49 1511 2345678 is linked/);
  assert.match(down[1], /not reachable right now; nothing was lost. Send your answer again in a moment/);
  const step = h.core.stepLogins.current(ALICE);
  assert.equal(step?.kind === 'user_input' && step.id, 'phone', 'the number is still asked');
  assert.equal(h.core.expectsCode(ALICE), false, 'digits now are no code');
  h.network.refuseLogin = undefined;
  const again = await h.command(ALICE, 'login +4915112345678');
  assert.deepEqual(again.map((r) => r.split('\n')[0]), ['The network is sending a one-time code.'], 'the opt-in is said once per number');
  assert.equal(h.core.expectsCode(ALICE), true);
});

test('cancel gives up a login waiting for its code: a code sent afterwards is not taken', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  assert.match((await h.command(ALICE, 'login +4915112345678')).at(-1)!, /sending a one-time code/);
  assert.deepEqual(await h.command(ALICE, 'cancel'), ['The login in progress was given up; nothing was linked.']);
  assert.equal(h.core.stepLogins.current(ALICE), undefined);
  assert.deepEqual(await h.command(ALICE, 'code 123456'), ['No login is in progress. Start with: login']);
  assert.equal(h.store.logins.get(ALICE), undefined, 'nothing was linked');
  assert.deepEqual(await h.command(ALICE, 'cancel'), ['No login is in progress; nothing was done.']);
});
