// /ready from fake inputs: the homeserver down (or too slow) is 503 naming it; no logins, or
// only logins the network ended, is ready; a login still connecting or backing off is 503
// until one is connected; the homeserver's answer is reused for a while and shared between
// requests that arrive together. /health is always 200.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthEndpoints, ReadinessCheck, type ReadinessSources } from '../../../src/health';
import type { LoginStateName } from '../../../src/core/sessions';

function world(logins: LoginStateName[] = [], homeserverUp = true) {
  const w = {
    logins,
    homeserverUp,
    probes: 0,
    sources: {} as ReadinessSources,
  };
  w.sources = {
    homeserver: async () => {
      w.probes += 1;
      if (!w.homeserverUp) throw new Error('connect ECONNREFUSED 127.0.0.1:8008');
    },
    logins: () => w.logins.map((state) => ({ state })),
  };
  return w;
}

const ready = (w: ReturnType<typeof world>, options = { cacheMs: 0 }) => new HealthEndpoints(new ReadinessCheck(w.sources, options)).answer('/ready');

test('/health answers 200 {status: ok}, whatever the checks say; other paths are not ours', async () => {
  const endpoints = new HealthEndpoints(new ReadinessCheck(world(['backing_off'], false).sources));
  assert.deepEqual(await endpoints.answer('/health'), { status: 200, body: { status: 'ok' } });
  assert.deepEqual(await endpoints.answer('/health?probe=1'), { status: 200, body: { status: 'ok' } });
  assert.equal(await endpoints.answer('/metrics'), undefined);
  assert.equal(await endpoints.answer('/readyz'), undefined);
});

test('the homeserver down: 503, naming the homeserver and why', async () => {
  const answer = await ready(world([], false));
  assert.equal(answer?.status, 503);
  assert.equal(answer?.body.status, 'not_ready');
  assert.deepEqual(answer?.body.failed, ['homeserver']);
  const checks = answer?.body.checks as { homeserver: { ok: boolean; detail: string } };
  assert.equal(checks.homeserver.ok, false);
  assert.match(checks.homeserver.detail, /ECONNREFUSED/);
});

test('no logins: ready', async () => {
  const answer = await ready(world([]));
  assert.equal(answer?.status, 200);
  assert.equal(answer?.body.status, 'ready');
});

test('one login, disconnected (backing off or still connecting): 503 naming the network', async () => {
  for (const state of ['backing_off', 'connecting'] as const) {
    const answer = await ready(world([state]));
    assert.equal(answer?.status, 503, state);
    assert.deepEqual(answer?.body.failed, ['network']);
    assert.match(JSON.stringify(answer?.body.checks), /0 of 1 login\(s\) connected/);
  }
});

test('one login connected: 200; one of two connected is enough', async () => {
  assert.equal((await ready(world(['connected'])))?.status, 200);
  assert.equal((await ready(world(['backing_off', 'connected'])))?.status, 200);
});

test('logins the network ended wait for their user, so they do not make the bridge unready', async () => {
  assert.equal((await ready(world(['device_removed', 'auth_failed'])))?.status, 200);
  assert.equal((await ready(world(['device_removed', 'backing_off'])))?.status, 503);
});

test('both failing: both named', async () => {
  const answer = await ready(world(['backing_off'], false));
  assert.deepEqual(answer?.body.failed, ['homeserver', 'network']);
});

test('a homeserver that does not answer in time counts as down', async () => {
  const hanging: ReadinessSources = { homeserver: () => new Promise(() => undefined), logins: () => [] };
  const report = await new ReadinessCheck(hanging, { timeoutMs: 20 }).check();
  assert.equal(report.ready, false);
  assert.match(report.checks.homeserver.detail, /no answer within 20 ms/);
});

test("the homeserver's answer is reused within cacheMs, asked again after it, and shared by requests at once", async () => {
  const w = world([]);
  let now = 1_000;
  const check = new ReadinessCheck(w.sources, { cacheMs: 5_000, now: () => now });
  await Promise.all([check.check(), check.check(), check.check()]);
  assert.equal(w.probes, 1, 'requests arriving together share one probe');
  w.homeserverUp = false;
  now += 4_000;
  assert.equal((await check.check()).ready, true, 'still within the cache');
  assert.equal(w.probes, 1);
  now += 2_000;
  assert.equal((await check.check()).ready, false, 'asked again once the answer is old');
  assert.equal(w.probes, 2);
});
