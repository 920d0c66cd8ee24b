// /health and /ready on the appservice listener (the homeserver-facing port every install
// has), without credentials: JSON liveness from the start, readiness once attached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DurableAppService } from '../../../src/matrix/transaction-intake';
import { HealthEndpoints, ReadinessCheck } from '../../../src/health';
import type { LoginStateName } from '../../../src/core/sessions';
import { freePort } from '../../helpers/free-port';

const log = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function listen(t: { after(fn: () => unknown): void }, appservice: DurableAppService): Promise<string> {
  const port = await freePort();
  await appservice.listen(port, '127.0.0.1', 10);
  t.after(() => appservice.close());
  return `http://127.0.0.1:${port}`;
}

test('the appservice listener answers /health and /ready without a token', async (t) => {
  const logins: LoginStateName[] = ['backing_off'];
  const health = new HealthEndpoints(new ReadinessCheck(
    { homeserver: async () => undefined, logins: () => logins.map((state) => ({ state })) }, { cacheMs: 0 },
  ));
  const base = await listen(t, new DurableAppService('hs-token', { maxAgeMs: 1000, log, health }));

  const live = await fetch(`${base}/health`);
  assert.equal(live.status, 200);
  assert.deepEqual(await live.json(), { status: 'ok' }, 'JSON, not the library\'s plain "OK"');
  const down = await fetch(`${base}/ready`);
  assert.equal(down.status, 503);
  assert.deepEqual(((await down.json()) as { failed: string[] }).failed, ['network']);
  logins[0] = 'connected';
  const up = await fetch(`${base}/ready`);
  assert.equal(up.status, 200);
  assert.equal(((await up.json()) as { status: string }).status, 'ready');
  // the homeserver-facing endpoints still want the token
  assert.equal((await fetch(`${base}/_matrix/app/v1/users/%40x%3Aexample.org`)).status, 401);
});

test('a readiness check that throws answers 500 with its message, not a hung request', async (t) => {
  const health = new HealthEndpoints(new ReadinessCheck({
    homeserver: async () => undefined,
    logins: () => { throw new Error('sessions unavailable'); },
  }));
  const base = await listen(t, new DurableAppService('hs-token', { maxAgeMs: 1000, log, health }));
  const res = await fetch(`${base}/ready`);
  assert.equal(res.status, 500);
  assert.deepEqual(await res.json(), { status: 'error', error: 'sessions unavailable' });
});
