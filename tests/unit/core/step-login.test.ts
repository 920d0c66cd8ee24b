// Core runs a connector's step login without knowing its steps: a fake connector that logs
// in with a QR code (which refreshes once) and one that asks for a password, neither known
// to core/, log in through the same `login` command; `cancel` and the timeout give a login
// up, and a bare code is not taken as a command while no step asks for one.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { startCoreHarness, FakeNetwork } from '../../helpers/core-harness';
import type { LoginProcess, LoginStart, LoginStep } from '../../../src/network/login-steps';
import { RemoteUnavailableError } from '../../../src/network/remote-network';
import { STEP_LOGIN_TIMEOUT_MS } from '../../../src/core/step-login';
import type { E164 } from '../../../src/network/phone';

const ALICE = '@alice:example.org';
const PHONE = '+4915112345678' as E164;

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** A linked-device network: shows a QR code, refreshes it, and is done when the phone scans it. */
class QrNetwork extends FakeNetwork {
  readonly waits: ReturnType<typeof deferred<LoginStep>>[] = [];
  cancelled = 0;
  override async beginLogin(): Promise<LoginStart> {
    const process: LoginProcess = {
      submit: async () => { throw new Error('a QR login asks for nothing'); },
      wait: () => {
        const next = deferred<LoginStep>();
        this.waits.push(next);
        return next.promise;
      },
      cancel: async () => void this.cancelled++,
    };
    return { first: qr('qr-payload-1'), process };
  }
}

const qr = (data: string): LoginStep => ({
  kind: 'display_and_wait', id: 'qr', instructions: 'Scan this QR code with the app on your phone.', display: { type: 'qr', data },
});

/** until `check` holds, letting background work run (`timers`: also the harness's short
 *  retry timers, 5–20 ms; the cap is only there to fail instead of hanging) */
async function until(check: () => boolean | Promise<boolean>, timers = false): Promise<void> {
  for (let i = 0; i < 2000 && !(await check()); i++) await new Promise((r) => (timers ? setTimeout(r, 1) : setImmediate(r)));
  assert.ok(await check(), 'the expected state was not reached');
}

test('a QR login that refreshes once and then completes, through the same login command', async (t) => {
  const network = new QrNetwork();
  const h = await startCoreHarness({ network });
  t.after(() => h.stop());
  const replies = await h.command(ALICE, 'login');
  assert.equal(replies.length, 1);
  assert.match(replies[0], /Scan this QR code/);
  assert.match(replies[0], /qr-payload-1/);
  assert.equal(await h.core.expectsCode(ALICE), false, 'a bare code is not the answer to a QR step');
  assert.equal(network.waits.length, 1, 'core waits on the shown code');

  network.waits[0].resolve(qr('qr-payload-2'));
  await until(() => replies.length === 2);
  assert.match(replies[1], /qr-payload-2/, 'the refreshed code is shown');
  assert.equal(await h.store.logins.get(ALICE), undefined);

  await until(() => network.waits.length === 2);
  network.waits[1].resolve({ kind: 'complete', login: { phone: PHONE, data: { device: 7 } } });
  await until(() => replies.length === 3);
  assert.match(replies[2], /^Logged in as /);
  assert.deepEqual((await h.store.logins.get(ALICE))?.state, { device: 7 });
  assert.ok(network.sessions.get(ALICE), 'the login is connected');
  assert.equal(h.core.stepLogins.current(ALICE), undefined);
  assert.equal(network.cancelled, 0);
});

test('a wait the network cannot answer is waited on again after a backoff, and the person is told once', async (t) => {
  const network = new QrNetwork();
  const h = await startCoreHarness({ network });
  t.after(() => h.stop());
  const replies = await h.command(ALICE, 'login');
  network.waits[0].reject(new RemoteUnavailableError());
  await until(() => network.waits.length === 2, true);
  network.waits[1].reject(new RemoteUnavailableError());
  await until(() => network.waits.length === 3, true);
  assert.deepEqual(replies.slice(1).map((r) => /not reachable/.test(r)), [true], 'told once, not at every failed wait');
  network.waits[2].resolve({ kind: 'complete', login: { phone: PHONE, data: {} } });
  await until(() => replies.length === 3);
  assert.match(replies[2], /^Logged in as /);
});

test('cancel gives a QR login up: what the network brings later is not used', async (t) => {
  const network = new QrNetwork();
  const h = await startCoreHarness({ network });
  t.after(() => h.stop());
  const replies = await h.command(ALICE, 'login');
  assert.deepEqual(await h.command(ALICE, 'cancel'), ['The login in progress was given up; nothing was linked.']);
  assert.equal(network.cancelled, 1, 'the connector was told');
  network.waits[0].resolve({ kind: 'complete', login: { phone: PHONE, data: {} } });
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(replies.length, 1, 'nothing more was said');
  assert.equal(await h.store.logins.get(ALICE), undefined, 'nothing was linked');
  assert.deepEqual(await h.command(ALICE, 'cancel'), ['No login is in progress; nothing was done.']);
});

test('a step login left unfinished is given up after the timeout, and the person is told', async (t) => {
  const network = new QrNetwork();
  const h = await startCoreHarness({ network });
  t.after(() => h.stop());
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const replies = await h.command(ALICE, 'login');
  mock.timers.tick(STEP_LOGIN_TIMEOUT_MS - 1);
  await new Promise((r) => setImmediate(r));
  assert.equal(replies.length, 1, 'not before the timeout');
  mock.timers.tick(1);
  await until(() => replies.length === 2);
  assert.match(replies[1], /took too long and was given up/);
  assert.equal(network.cancelled, 1);
  assert.equal(h.core.stepLogins.current(ALICE), undefined);
});

/** A network that asks for a user name, then a password (validated), then is done. */
class PasswordNetwork extends FakeNetwork {
  readonly submitted: Record<string, string>[] = [];
  failNext?: Error;
  failBegin?: Error;
  override async beginLogin(): Promise<LoginStart> {
    if (this.failBegin) throw this.failBegin;
    const process: LoginProcess = {
      submit: async (values) => {
        if (this.failNext) {
          const error = this.failNext;
          this.failNext = undefined;
          throw error;
        }
        this.submitted.push({ ...values });
        if ('user' in values) {
          return {
            kind: 'user_input', id: 'password', instructions: 'Now your password.',
            fields: [{ id: 'password', type: 'password', prompt: 'Password', validate: (v) => (v.length < 8 ? 'That is too short.' : undefined) }],
          };
        }
        return { kind: 'complete', login: { phone: PHONE, data: {} } };
      },
      wait: async () => { throw new Error('nothing to wait for'); },
      cancel: async () => undefined,
    };
    return { first: { kind: 'user_input', id: 'user', instructions: 'Log in with your account.', fields: [{ id: 'user', type: 'text', prompt: 'User name' }] }, process };
  }
}

test('input steps: "login <answer>" answers the first, validation asks again, a down network keeps the step', async (t) => {
  const network = new PasswordNetwork();
  const h = await startCoreHarness({ network });
  t.after(() => h.stop());
  network.failBegin = new RemoteUnavailableError();
  assert.deepEqual(await h.command(ALICE, 'login alice'), [
    'The Fake network is not reachable right now, so the login could not start. Send "login" again in a moment.',
  ]);
  assert.equal(h.core.stepLogins.current(ALICE), undefined);
  network.failBegin = undefined;
  const replies = await h.command(ALICE, 'login alice');
  assert.equal(replies.length, 1, 'the step "login alice" answered is not shown');
  assert.match(replies[0], /Now your password/);
  assert.equal(await h.core.expectsCode(ALICE), false, 'a password step takes no bare code');

  assert.match((await h.command(ALICE, 'login short'))[0], /^That is too short\. Password\?/);
  assert.equal(network.submitted.length, 1, 'a refused value never reaches the connector');

  network.failNext = new RemoteUnavailableError();
  assert.match((await h.command(ALICE, 'login long-enough'))[0], /not reachable right now/);
  assert.equal(h.core.stepLogins.current(ALICE)?.kind, 'user_input', 'the step is still asked');

  const last = await h.command(ALICE, 'login long-enough');
  assert.match(last[0], /^Logged in as /);
  assert.deepEqual(network.submitted, [{ user: 'alice' }, { password: 'long-enough' }]);
  assert.match((await h.command(ALICE, 'login'))[0], /already logged in/);
});

test('a step that fails for good ends the login with the reason', async (t) => {
  const network = new PasswordNetwork();
  const h = await startCoreHarness({ network });
  t.after(() => h.stop());
  await h.command(ALICE, 'login');
  network.failNext = new Error('account locked');
  const replies = await h.command(ALICE, 'login alice');
  assert.deepEqual(replies, ['The login could not go on (account locked). Send "login" to start again.']);
  assert.equal(h.core.stepLogins.current(ALICE), undefined);
  assert.deepEqual(await h.command(ALICE, 'code 123456'), ['No login is in progress. Start with: login']);
});
