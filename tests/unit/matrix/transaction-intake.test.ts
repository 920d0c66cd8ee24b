// The appservice listener (DurableAppService) over HTTP, with the real SQLite store: what
// counts as "the same" transaction when a homeserver reuses transaction IDs, what a
// handler failure answers, what is skipped as bad input, and how every endpoint answers
// missing or wrong credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBridgeStore } from '../../../src/store';
import { DurableAppService, type MatrixEvent, type SkippedEvent } from '../../../src/matrix/transaction-intake';
import { MatrixRefusedError } from '../../../src/core/errors';
import { HeldBackProbe, type HeldBackProbeOptions } from '../../../src/matrix/held-back-transactions';
import { freePort } from '../../helpers/free-port';

const TOKEN = 'hs-token-for-tests';

interface Listener {
  url: string;
  handled: MatrixEvent[];
  ephemeral: MatrixEvent[];
  skipped: SkippedEvent[];
  logs: string[];
  /** makes the handler throw for events this returns an error for */
  failWith: (event: MatrixEvent) => Error | undefined;
  /** awaited before an event is handled (holds a transaction in flight) */
  gate: (event: MatrixEvent) => Promise<void>;
  store: SqliteBridgeStore;
  appservice: DurableAppService;
  /** a new listener on the same database (a bridge restart) */
  restart(): Promise<Listener>;
}

/** what a test gives the held-back probe; the log and what the store remembers come from the listener */
type ProbeSetup = Omit<HeldBackProbeOptions, 'log' | 'lastHandled'>;

async function startListener(t: { after(fn: () => unknown): void }, dbPath?: string, maxAgeMs = 86_400_000, probe?: ProbeSetup): Promise<Listener> {
  const dir = mkdtempSync(join(tmpdir(), 'intake-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = dbPath ?? join(dir, 'bridge.db');
  const store = SqliteBridgeStore.open(path);
  const logs: string[] = [];
  const line = (...parts: unknown[]) => logs.push(parts.join(' '));
  const log = { info: line, warn: line, error: line };
  const heldBack = probe && new HeldBackProbe({ ...probe, log, lastHandled: await store.transactions.lastProcessed() });
  if (heldBack) t.after(() => heldBack.stop());
  const appservice = new DurableAppService(TOKEN, { maxAgeMs, log, heldBack });
  const l: Listener = {
    url: '', handled: [], ephemeral: [], skipped: [], logs, failWith: () => undefined, gate: async () => undefined, store, appservice,
    restart: async () => {
      await appservice.close();
      await store.close();
      return startListener(t, path, maxAgeMs, probe);
    },
  };
  appservice.onSkipped = (s) => l.skipped.push(s);
  appservice.attach({
    onEvent: async (e) => {
      await l.gate(e);
      const error = l.failWith(e);
      if (error) throw error;
      l.handled.push(e);
    },
    onEphemeral: async (e) => {
      const error = l.failWith(e);
      if (error) throw error;
      l.ephemeral.push(e);
    },
  }, store.transactions);
  const port = await freePort();
  await appservice.listen(port, '127.0.0.1', 10);
  l.url = `http://127.0.0.1:${port}`;
  t.after(async () => {
    await appservice.close().catch(() => undefined);
    await store.close();
  });
  return l;
}

async function put(l: Listener, txnId: string, body: unknown, auth: string | undefined = `Bearer ${TOKEN}`): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${l.url}/_matrix/app/v1/transactions/${encodeURIComponent(txnId)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

let counter = 0;
function message(body: string, extra: Partial<MatrixEvent> = {}): MatrixEvent {
  counter += 1;
  return {
    type: 'm.room.message', event_id: `$ev${counter}`, room_id: '!room:hs', sender: '@alice:hs',
    origin_server_ts: Date.now(), content: { msgtype: 'm.text', body }, unsigned: { age: counter }, ...extra,
  };
}

const bodies = (events: MatrixEvent[]) => events.map((e) => e.content?.body);

test('a transaction ID reused with new events (the homeserver restarted its counter) is handled', async (t) => {
  let l = await startListener(t);
  assert.equal((await put(l, '1', { events: [message('before the homeserver restart')] })).status, 200);
  // the bridge restarts too: what it remembers must come from the store
  l = await l.restart();
  assert.equal((await put(l, '1', { events: [message('after the homeserver restart')] })).status, 200);
  assert.deepEqual(bodies(l.handled), ['after the homeserver restart']);
});

test('the exact same transaction retried is handled once, ephemeral events included', async (t) => {
  const l = await startListener(t);
  const event = message('once');
  const typing = { type: 'm.typing', room_id: '!room:hs', content: { user_ids: ['@alice:hs'] } };
  assert.equal((await put(l, '7', { events: [event], ephemeral: [typing] })).status, 200);
  // a homeserver re-serialises the events of a retry: unsigned.age differs, the event does not
  const retried = { ...event, unsigned: { age: 999 } };
  assert.equal((await put(l, '7', { events: [retried], ephemeral: [typing] })).status, 200);
  assert.deepEqual(bodies(l.handled), ['once']);
  assert.equal(l.ephemeral.length, 1);
});

test('the same event in two different transactions is handled once', async (t) => {
  const l = await startListener(t);
  const event = message('shared');
  const other = message('new');
  assert.equal((await put(l, 'a', { events: [event] })).status, 200);
  assert.equal((await put(l, 'b', { events: [event, other] })).status, 200);
  assert.deepEqual(bodies(l.handled), ['shared', 'new']);
});

test('a handler failure answers 500; the retry handles only what was not handled yet', async (t) => {
  const l = await startListener(t);
  const first = message('first');
  const second = message('second');
  l.failWith = (e) => (e.event_id === second.event_id ? Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY' }) : undefined);
  const failed = await put(l, 't', { events: [first, second] });
  assert.equal(failed.status, 500, 'the homeserver must retry');
  assert.equal(failed.body.errcode, 'M_UNKNOWN');
  await put(l, 't', { events: [first, second] });
  assert.ok(l.logs.filter((s) => /growing delays/.test(s)).length === 1, 'the homeserver backoff is explained once per failure streak');
  l.failWith = () => undefined;
  assert.equal((await put(l, 't', { events: [first, second] })).status, 200);
  assert.deepEqual(bodies(l.handled), ['first', 'second'], 'first is not handled again on the retry');
  assert.ok(l.logs.some((s) => /handled again, after 2 failed attempt/.test(s)), l.logs.join('\n'));
  assert.deepEqual(l.skipped, []);
});

test('bad input is skipped with a reason and counted, and does not hold up the rest', async (t) => {
  const l = await startListener(t);
  const refused = message('refused for good');
  const good = message('good');
  l.failWith = (e) => (e.event_id === refused.event_id ? new MatrixRefusedError('the homeserver refused it (M_FORBIDDEN)', 403, 'M_FORBIDDEN') : undefined);
  const res = await put(l, 'bad', {
    events: [{ type: 'm.room.message', room_id: '!room:hs', sender: '@alice:hs', content: {} }, 'junk', { ...message('x'), content: 'not an object' }, refused, good],
    ephemeral: [{ type: 7 }],
  });
  assert.equal(res.status, 200);
  assert.deepEqual(bodies(l.handled), ['good']);
  assert.deepEqual(l.skipped.map((s) => [s.reason, s.detail.split(' ')[0]]), [
    ['malformed', 'no'], ['malformed', 'not'], ['malformed', 'content'], ['refused', 'the'], ['malformed', 'no'],
  ]);
  assert.deepEqual(l.appservice.skipped, { malformed: 4, refused: 1, too_old: 0 });
  assert.ok(l.logs.every((s) => !s.includes('refused for good')), 'no message body in the log');
  // a retry of the same events does not hand the refused one over again
  assert.equal((await put(l, 'bad-2', { events: [refused] })).status, 200);
  assert.equal(l.appservice.skipped.refused, 1);
});

test('an event that keeps failing transiently past the maximum age is given up, not retried forever', async (t) => {
  const l = await startListener(t, undefined, 60_000);
  const old = message('two minutes old', { origin_server_ts: Date.now() - 120_000 });
  const fresh = message('fresh');
  l.failWith = (e) => (e.event_id === old.event_id || e.event_id === fresh.event_id ? new Error('disk I/O error') : undefined);
  assert.equal((await put(l, 'old', { events: [old] })).status, 200);
  assert.deepEqual(l.skipped.map((s) => [s.reason, s.eventId]), [['too_old', old.event_id]]);
  assert.equal((await put(l, 'fresh', { events: [fresh] })).status, 500, 'a young event is retried');
});

test('every appservice endpoint answers 401 M_UNAUTHORIZED without a token and 403 M_FORBIDDEN with a wrong one', async (t) => {
  const l = await startListener(t);
  const endpoints: [string, string, unknown][] = [
    ['PUT', '/_matrix/app/v1/transactions/auth', { events: [] }],
    ['GET', '/_matrix/app/v1/users/%40wa_%2B4915112345678%3Ahs', undefined],
    ['GET', '/_matrix/app/v1/rooms/%23alias%3Ahs', undefined],
    ['POST', '/_matrix/app/v1/ping', { transaction_id: 'p' }],
  ];
  for (const [method, path, body] of endpoints) {
    const call = async (headers: Record<string, string>, query = '') => {
      const res = await fetch(`${l.url}${path}${query}`, {
        method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, errcode: ((await res.json()) as { errcode?: string }).errcode };
    };
    assert.deepEqual(await call({}), { status: 401, errcode: 'M_UNAUTHORIZED' }, `${method} ${path} without a token`);
    assert.deepEqual(await call({ authorization: 'Bearer wrong' }), { status: 403, errcode: 'M_FORBIDDEN' }, `${method} ${path} with a wrong token`);
    assert.deepEqual(await call({}, '?access_token=wrong'), { status: 403, errcode: 'M_FORBIDDEN' }, `${method} ${path} with a wrong query token`);
    const ok = await fetch(`${l.url}${path}`, {
      method, headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.equal(ok.status, 200, `${method} ${path} with the right token`);
  }
});

// Synapse can hold a transaction back after recovering from an appservice outage and send the
// next one first (src/matrix/held-back-transactions.ts). These play the homeserver's part.

/** a homeserver clock and ping that the tests drive */
function homeserverSide() {
  const side = { clock: 1_000_000, pings: 0, onPing: async () => undefined as unknown };
  const probe: ProbeSetup = {
    now: () => side.clock, pingDelayMs: 0, suspicionMs: 60_000, minIntervalMs: 0,
    ping: async () => {
      side.pings += 1;
      await side.onPing();
    },
  };
  return { side, probe };
}

const until = async (what: () => boolean) => {
  for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(what(), 'timed out');
};

test('after a restart, a transaction that skips a number is refused and the homeserver pinged: the held-back one is handled first', async (t) => {
  const { side, probe } = homeserverSide();
  let l = await startListener(t, undefined, undefined, probe);
  assert.equal((await put(l, '5', { events: [message('#5')] })).status, 200);
  l = await l.restart(); // a crash: the homeserver's recoverer then holds #6 back and offers #7
  const offered = await put(l, '7', { events: [message('#7')] });
  assert.equal(offered.status, 503, 'refused, so that the homeserver retries it after what it holds');
  await until(() => side.pings === 1);
  // the recoverer, woken by the ping, sends its oldest transaction first
  assert.equal((await put(l, '6', { events: [message('#6')] })).status, 200);
  assert.equal((await put(l, '7', { events: [message('#7 again')] })).status, 200);
  assert.deepEqual(bodies(l.handled), ['#6', '#7 again'], 'nothing of the refused transaction was handled before #6');
  assert.ok(l.logs.some((s) => /transaction 6 had been held back/.test(s)), l.logs.join('\n'));
});

test('a gap with nothing held back (another appservice took the numbers) costs one refusal, not more', async (t) => {
  const { side, probe } = homeserverSide();
  const l = await startListener(t, undefined, undefined, probe);
  assert.equal((await put(l, '10', { events: [message('#10')] })).status, 200);
  assert.equal((await put(l, '14', { events: [message('#14')] })).status, 503);
  assert.equal((await put(l, '14', { events: [message('#14')] })).status, 200, 'offered again with nothing older: handled');
  assert.equal((await put(l, '15', { events: [message('#15')] })).status, 200);
  assert.deepEqual(bodies(l.handled), ['#10', '#14', '#15']);
  await until(() => side.pings === 1);
});

test('a gap is probed only while the homeserver may be recovering: after a start, a failed answer or a retry', async (t) => {
  const { side, probe } = homeserverSide();
  const l = await startListener(t, undefined, undefined, probe);
  assert.equal((await put(l, '1', { events: [message('#1')] })).status, 200);
  side.clock += 61_000; // long after the start, with no failure since
  assert.equal((await put(l, '3', { events: [message('#3')] })).status, 200, 'a gap in calm times is another appservice\'s');
  // a failed answer: the homeserver starts a recoverer, which may hold one back at its end
  const failing = message('#4');
  l.failWith = (e) => (e.event_id === failing.event_id ? new Error('disk I/O error') : undefined);
  assert.equal((await put(l, '4', { events: [failing] })).status, 500);
  l.failWith = () => undefined;
  assert.equal((await put(l, '4', { events: [failing] })).status, 200);
  assert.equal((await put(l, '6', { events: [message('#6')] })).status, 503, 'a gap right after a failure is probed');
  assert.deepEqual(bodies(l.handled), ['#1', '#3', '#4']);
});

test('transaction IDs that are not numbers, or a counter that starts again, are never refused', async (t) => {
  const { probe } = homeserverSide();
  const l = await startListener(t, undefined, undefined, probe);
  assert.equal((await put(l, '50', { events: [message('#50')] })).status, 200);
  assert.equal((await put(l, '1', { events: [message('#1 after a homeserver restart')] })).status, 200);
  assert.equal((await put(l, 'txn-abc', { events: [message('named')] })).status, 200);
  assert.equal((await put(l, 'txn-xyz', { events: [message('named too')] })).status, 200);
  assert.equal(l.handled.length, 4);
});

test('a wrong hs_token is logged once, plainly, not per request; again only after a right one was seen', async (t) => {
  const l = await startListener(t);
  const warnings = () => l.logs.filter((line) => line.includes('wrong hs_token'));
  const wrong = 'a-token-from-another-registration';
  for (let i = 0; i < 3; i++) assert.equal((await put(l, `bad${i}`, { events: [] }, `Bearer ${wrong}`)).status, 403);
  assert.equal(warnings().length, 1);
  assert.match(warnings()[0], /the registration the homeserver loaded is not the one the bridge reads \(appservice\.registration\)/);
  assert.ok(!warnings()[0].includes(TOKEN) && !warnings()[0].includes(wrong), 'no token in the log');
  assert.equal((await put(l, 'good', { events: [] })).status, 200);
  assert.equal((await put(l, 'bad-again', { events: [] }, `Bearer ${wrong}`)).status, 403);
  assert.equal(warnings().length, 2);
});

test('stopIntake: the transaction being handled finishes and is answered 200; new ones get 503 (the homeserver retries)', async (t) => {
  const l = await startListener(t);
  let release!: () => void;
  const slow = new Promise<void>((resolve) => (release = resolve));
  const handling = message('being handled when the stop comes');
  let started!: () => void;
  const startedHandling = new Promise<void>((resolve) => (started = resolve));
  l.gate = async (event) => {
    if (event.event_id !== handling.event_id) return;
    started();
    await slow;
  };
  const inFlight = put(l, 'in-flight', { events: [handling] });
  await startedHandling;
  let stopped = false;
  const stopping = l.appservice.stopIntake().then(() => (stopped = true));
  const refused = await put(l, 'after-stop', { events: [message('arrived after the stop')] });
  assert.deepEqual(refused, { status: 503, body: { errcode: 'M_UNKNOWN', error: 'bridge is stopping; retry later' } });
  assert.equal(stopped, false, 'stopIntake waits for the transaction in flight');
  release();
  assert.equal((await inFlight).status, 200);
  await stopping;
  assert.deepEqual(bodies(l.handled), ['being handled when the stop comes']);
});

test('beforeEvents sees the whole body before the first event; its failure answers 500 and the retry starts with it again', async (t) => {
  const l = await startListener(t);
  const seen: string[] = [];
  let failBefore = true;
  l.appservice.attach({
    beforeEvents: async (body) => {
      seen.push(`before ${JSON.stringify(body['de.sorunome.msc2409.to_device'])}`);
      if (failBefore) throw new Error('crypto store unavailable');
    },
    onEvent: async (e) => {
      seen.push(`event ${String(e.content?.body)}`);
      l.handled.push(e);
    },
    onEphemeral: async () => undefined,
  }, l.store.transactions);
  const body = { events: [message('after the keys')], 'de.sorunome.msc2409.to_device': [{ type: 'm.room.encrypted' }] };
  assert.equal((await put(l, '30', body)).status, 500);
  assert.deepEqual(l.handled, [], 'no event handled when the crypto part failed');
  failBefore = false;
  assert.equal((await put(l, '30', body)).status, 200);
  assert.deepEqual(seen, ['before [{"type":"m.room.encrypted"}]', 'before [{"type":"m.room.encrypted"}]', 'event after the keys']);
});
