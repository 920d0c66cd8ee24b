// metrics.enabled serves Prometheus metrics on their own listener, apart from the appservice
// port; both listeners answer /health and /ready. Real Synapse, real gateway, the real bridge:
// a message each way moves the counters and the latency histogram, a poll the failure counter,
// and /ready turns 503 when the gateway goes away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBridgeEnv, TEST_SERVER_NAME } from '../helpers/bridge-env';
import { freePort } from '../helpers/free-port';
import { matrixUser, messageFrom, simReceivesText, startChatFromRemote, startInteropEnv } from '../helpers/interop-env';

const ALICE_PHONE = '+4915112345678';
const SAM_PHONE = '+14155552671';

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

/** the value of one sample line of the Prometheus text, or undefined when it is missing */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** scrapes until `series` has `value` (counted in the background); returns that scrape */
async function untilSample(scrape: () => Promise<string>, series: string, value: number, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await scrape();
    const seen = sample(text, series);
    if (seen === value) return text;
    if (Date.now() > deadline) throw new Error(`${series} is ${seen}, not ${value}, after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** asks `url` until its status is `status` (the state changes in the background); fails after `timeoutMs` */
async function untilStatus(url: string, status: number, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    const res = await fetch(url);
    const body = (await res.json()) as Record<string, unknown>;
    if (res.status === status) return body;
    last = `${res.status} ${JSON.stringify(body)}`;
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms; last: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test('a message each way moves the message metrics; /health and /ready on both listeners; /ready 503 without the gateway', async (t) => {
  const metricsPort = await freePort();
  const env = await startInteropEnv({
    adjust: (config) => {
      config.metrics.enabled = true;
      config.metrics.address = '127.0.0.1';
      config.metrics.port = metricsPort;
    },
  });
  t.after(() => env.stop());
  const listeners = { appservice: env.config.appservice.url, metrics: `http://127.0.0.1:${metricsPort}` };
  const scrape = async () => (await fetch(`${listeners.metrics}/metrics`)).text();

  await t.test('before any login: live and ready on both listeners, every message series at 0', async () => {
    for (const [name, base] of Object.entries(listeners)) {
      const live = await fetch(`${base}/health`);
      assert.equal(live.status, 200, name);
      assert.deepEqual(await live.json(), { status: 'ok' }, name);
      const ready = await fetch(`${base}/ready`);
      assert.equal(ready.status, 200, `${name}: no login is waiting to connect`);
    }
    const text = await scrape();
    assert.equal(sample(text, 'interop_bridge_messages_bridged_total{direction="remote_to_matrix",kind="text"}'), 0);
    assert.equal(sample(text, 'interop_bridge_messages_bridged_total{direction="matrix_to_remote",kind="text"}'), 0);
    assert.equal(sample(text, 'interop_bridge_delivery_latency_seconds_count{direction="remote_to_matrix"}'), 0);
    assert.equal(sample(text, 'interop_bridge_portals'), 0);
  });

  const alice = await matrixUser(env, 'alice');
  const { sim: sam, ghost, portal } = await startChatFromRemote(env, alice, ALICE_PHONE, SAM_PHONE);
  // Sam's first message waited for Alice as a message request: bridged, but that wait is no
  // delivery latency; the second one has a latency
  await sam.sendText(ALICE_PHONE, 'second');
  await alice.waitForEvent(messageFrom(portal, ghost, 'second'), { timeoutMs: 20_000 });
  await alice.sendText(portal, 'hi from Matrix');
  await simReceivesText(sam, ALICE_PHONE, 'hi from Matrix');

  await t.test('the message from the network and the one to it are counted, with their latency', async () => {
    // the sim can see the message a moment before the bridge has its send confirmed and counts it
    const text = await untilSample(scrape, 'interop_bridge_messages_bridged_total{direction="matrix_to_remote",kind="text"}', 1);
    assert.equal(sample(text, 'interop_bridge_messages_bridged_total{direction="remote_to_matrix",kind="text"}'), 2);
    assert.equal(sample(text, 'interop_bridge_delivery_latency_seconds_count{direction="remote_to_matrix"}'), 1);
    assert.equal(sample(text, 'interop_bridge_delivery_latency_seconds_count{direction="matrix_to_remote"}'), 1);
    assert.equal(sample(text, 'interop_bridge_messages_failed_total{direction="remote_to_matrix",reason="rejected"}'), 0);
    assert.equal(sample(text, 'interop_bridge_portals'), 1);
    assert.equal(sample(text, 'interop_bridge_ghosts'), 1);
    assert.equal(sample(text, 'interop_bridge_events_awaiting_keys'), 0);
    assert.equal(sample(text, 'interop_bridge_message_requests_total{event="accepted"}'), 1);
    assert.equal(sample(text, 'interop_bridge_logins{state="connected"}'), 1);
    assert.equal(sample(text, 'interop_bridge_outbox_pending_jobs'), 0);
    assert.equal(sample(text, 'interop_bridge_outbox_oldest_job_age_seconds'), 0);
  });

  await t.test('a Matrix poll, which the network has no form for, is counted as failed: unbridgeable', async () => {
    const question = 'Lunch?';
    await alice.sendEvent(portal, 'm.poll.start', {
      body: question,
      'm.text': [{ body: question }],
      'm.poll': { kind: 'm.disclosed', max_selections: 1, question: { 'm.text': [{ body: question }] }, answers: [{ 'm.id': 'a', 'm.text': [{ body: 'yes' }] }] },
    });
    const text = await untilSample(scrape, 'interop_bridge_messages_failed_total{direction="matrix_to_remote",reason="unbridgeable"}', 1);
    assert.equal(sample(text, 'interop_bridge_messages_bridged_total{direction="matrix_to_remote",kind="text"}'), 1, 'not counted as bridged');
  });

  await t.test('logged in and connected: ready on both listeners', async () => {
    for (const base of Object.values(listeners)) assert.equal((await fetch(`${base}/ready`)).status, 200, base);
  });

  await t.test('the gateway stopped: /ready is 503 naming the network on both listeners, and 200 again once it is back', async () => {
    await env.gateway.stop();
    for (const base of Object.values(listeners)) {
      const body = await untilStatus(`${base}/ready`, 503);
      assert.deepEqual(body.failed, ['network'], base);
      assert.equal((await fetch(`${base}/health`)).status, 200, 'still live');
    }
    assert.equal(sample(await scrape(), 'interop_bridge_logins{state="connected"}'), 0);
    await env.gateway.restart();
    for (const base of Object.values(listeners)) await untilStatus(`${base}/ready`, 200);
  });
});
