// metrics.enabled serves Prometheus metrics on their own listener, apart from the appservice port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBridgeEnv, TEST_SERVER_NAME } from '../helpers/bridge-env';
import { freePort } from '../helpers/free-port';

test('the metrics listener serves Prometheus text, and nothing else', async () => {
  const port = await freePort();
  const env = await startBridgeEnv({
    permissions: { [TEST_SERVER_NAME]: 'user' },
    adjust: (config) => {
      config.metrics.enabled = true;
      config.metrics.address = '127.0.0.1';
      config.metrics.port = port;
    },
  });
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const body = await res.text();
    assert.match(body, /^# HELP /m);
    assert.match(body, /process_cpu_seconds_total|nodejs_/);
    assert.match(body, /^# TYPE bridge_matrix_events_skipped_total counter$/m, 'skipped Matrix events are counted');
    assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 404);
  } finally {
    await env.stop();
  }
  await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`), 'the listener closes with the bridge');
});
