// /health and /ready on the appservice listener (the homeserver-facing port every install
// has), without credentials: JSON liveness from the start, readiness once attached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DurableAppService } from '../../../src/matrix/transaction-intake';
import { HealthEndpoints, ReadinessCheck } from '../../../src/health';
import type { LoginStateName } from '../../../src/core/sessions';
import { freePort } from '../../helpers/free-port';

test('the appservice listener answers /health and /ready without a token', async (t) => {
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const appservice = new DurableAppService('hs-token', { maxAgeMs: 1000, log });
  const port = await freePort();
  await appservice.listen(port, '127.0.0.1', 10);
  t.after(() => appservice.close());
  const base = `http://127.0.0.1:${port}`;

  const live = await fetch(`${base}/health`);
  assert.equal(live.status, 200);
  assert.deepEqual(await live.json(), { status: 'ok' });
  const early = await fetch(`${base}/ready`);
  assert.equal(early.status, 503, 'not ready before the bridge attached its checks');
  assert.deepEqual(await early.json(), { status: 'starting' });

  const logins: LoginStateName[] = ['backing_off'];
  appservice.attachHealth(new HealthEndpoints(new ReadinessCheck(
    { homeserver: async () => undefined, logins: () => logins.map((state) => ({ state })) }, { cacheMs: 0 },
  )));
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
