// A login answer the network could not take because it was down is retried in the background
// with the backoff helper (core/step-login.ts), and the person told at once that it waits and
// later that it went through (then the next step) or why it finally could not. A code is
// never held for a retry: the person sends it again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCoreHarness, type CoreHarness } from '../../helpers/core-harness';
import { RemoteUnavailableError } from '../../../src/network/remote-network';

const ALICE = '@alice:example.org';

/** until `check` holds, letting the harness's short retry timers (5–20 ms) run; the cap is
 *  only there to fail instead of hanging */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 3000 && !(await check()); i++) await sleep(1);
  assert.ok(await check(), 'the expected state was not reached');
}

/** the network is down for the next `times` login steps, then back */
function downFor(h: CoreHarness, times: number, then?: () => Error): { attempts: number } {
  const seen = { attempts: 0 };
  h.network.refuseLogin = () => {
    seen.attempts++;
    if (seen.attempts >= times) h.network.refuseLogin = then;
    return new RemoteUnavailableError();
  };
  return seen;
}

test('the number with the network down: "waiting" at once, retried in the background, then "went through" and the code step', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const seen = downFor(h, 3);
  const replies = await h.command(ALICE, 'login +4915112345678');
  assert.equal(replies.length, 2, JSON.stringify(replies));
  assert.match(replies[0], /^Before \+49 1511 2345678 is linked/);
  assert.match(replies[1], /not reachable right now\. I keep trying with your answer and tell you here when it went through/);
  assert.equal(h.core.stepLogins.waitingForNetwork(ALICE), true);
  assert.equal((await h.core.logins.view(ALICE)).kind, 'waiting_for_network');

  await until(() => replies.length === 4);
  assert.equal(seen.attempts, 3, "three attempts the network could not take; the fourth went through");
  assert.match(replies[2], /reachable again: your answer went through/);
  assert.match(replies[3], /^The network is sending a one-time code\./);
  assert.equal(h.core.stepLogins.waitingForNetwork(ALICE), false);
  assert.equal(await h.core.expectsCode(ALICE), true);
  assert.ok(h.log.lines.some((l) => /the network is back; the answer went through after 3 retries/.test(l.text)));
  const done = await h.command(ALICE, 'code 123456');
  assert.match(done[0], /^Logged in as /);
});

test('a retried number the network then refuses for good: the person told why, status shows it, the login over', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  downFor(h, 1, () => new Error('the network asks to wait before trying again'));
  const replies = await h.command(ALICE, 'login +4915112345678');
  assert.match(replies.at(-1)!, /I keep trying/);
  await until(() => replies.length === 3);
  assert.equal(replies[2], 'The login could not go on (the network asks to wait before trying again). Send "login" to start again.');
  assert.equal(h.core.stepLogins.current(ALICE), undefined);
  assert.deepEqual(await h.core.logins.view(ALICE), { kind: 'not_logged_in', failure: 'the network asks to wait before trying again' });
  assert.ok(h.log.lines.some((l) => l.level === 'warn' && /failed: the network asks to wait/.test(l.text)), 'and logged');
});

test('status while an answer waits for the network says so; cancel ends the retry, nothing waits any more', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const seen = downFor(h, 1000);
  await h.command(ALICE, 'login +4915112345678');
  await until(() => seen.attempts >= 2);
  const status = await h.command(ALICE, 'status');
  assert.match(status[0], /^Not logged in yet: the Fake network is not reachable; I keep trying with your answer/);
  assert.deepEqual(await h.command(ALICE, 'cancel'), ['The login in progress was given up; nothing was linked.']);
  assert.equal(h.core.stepLogins.waitingForNetwork(ALICE), false);
  assert.deepEqual(await h.core.logins.view(ALICE), { kind: 'not_logged_in' });
});

test('a code with the network down is not held for a retry: the person is asked to send it again', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  await h.command(ALICE, 'login +4915112345678');
  h.network.refuseLogin = () => new RemoteUnavailableError();
  const down = await h.command(ALICE, 'code 123456');
  assert.deepEqual(down, ['The Fake network is not reachable right now; nothing was lost. Send your answer again in a moment, or wait if a code is shown.']);
  assert.equal(h.core.stepLogins.waitingForNetwork(ALICE), false, 'no retry holds the code');
  h.network.refuseLogin = undefined;
  assert.match((await h.command(ALICE, 'code 123456'))[0], /^Logged in as /);
});
