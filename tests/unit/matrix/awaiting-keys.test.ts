// Encrypted events whose room key had not arrived yet (src/matrix/awaiting-keys.ts), with a
// stand-in for the crypto, the real SQLite store, a clock and a timer the test drives: held
// instead of told, handed on once when the key comes, told after the time-out, resumed after
// a restart, capped without dropping anything untold; and, with the real core, bridged once
// when a crash falls between "handed on" and "released".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwaitingKeys, type AwaitingKeysOptions } from '../../../src/matrix/awaiting-keys';
import { EncryptedIntake, tellUndecryptable } from '../../../src/matrix/encrypted-intake';
import type { Decryption, EncryptedRoomEvent } from '../../../src/matrix/crypto/room-encryption';
import type { MatrixEvent } from '../../../src/matrix/transaction-intake';
import { SqliteBridgeStore, type AwaitingKeyRepository } from '../../../src/store';
import { FakeSession, startCoreHarness } from '../../helpers/core-harness';
import type { E164 } from '../../../src/network/phone';

const BOT = '@bot:hs';
const GHOST = '@wa_+4915112345678:hs';
const OWNER = '@alice:hs';
const ROOM = '!portal:hs';
const TIMEOUT_MS = 60_000;

const encrypted = (eventId = '$e1', roomId = ROOM): EncryptedRoomEvent => ({
  type: 'm.room.encrypted', event_id: eventId, room_id: roomId, sender: OWNER, origin_server_ts: 1,
  content: { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'xyz-secret-ciphertext', session_id: 's' },
});

const clear = (body: string): Decryption => ({ ok: true, type: 'm.room.message', content: { msgtype: 'm.text', body }, senderDevice: 'DEV' });

let files = 0;
const dir = mkdtempSync(join(tmpdir(), 'awaiting-keys-'));

/** A bridge's worth of AwaitingKeys over `path`; `keys` says what each event decrypts to now (absent: MissingRoomKey). */
function world(path = join(dir, `db-${++files}.db`), opts: Partial<AwaitingKeysOptions> & { keys?: Map<string, Decryption> } = {}) {
  const store = SqliteBridgeStore.open(path);
  const keys = opts.keys ?? new Map<string, Decryption>();
  const clock = { now: 1_000_000 };
  const timers: { fn: () => void; delayMs: number; cancelled: boolean }[] = [];
  const delivered: MatrixEvent[] = [];
  const notices: { roomId: string; content: Record<string, unknown>; txnId: string }[] = [];
  const logs: string[] = [];
  const sendNotice = async (roomId: string, content: Record<string, unknown>, txnId: string) => { notices.push({ roomId, content, txnId }); };
  const decrypt = async (event: EncryptedRoomEvent): Promise<Decryption> => keys.get(event.event_id) ?? { ok: false, reason: 'MissingRoomKey' };
  const options: AwaitingKeysOptions = {
    repository: store.awaitingKeys,
    encryption: { decrypt },
    portalOf: async (roomId) => (roomId === ROOM ? { owner: OWNER, ghost: GHOST } : undefined),
    botUserId: BOT,
    deliver: async (event) => { delivered.push(event); },
    tell: (event, reason) => tellUndecryptable(sendNotice, event, reason),
    timeoutMs: TIMEOUT_MS,
    now: () => clock.now,
    schedule: (fn, delayMs) => {
      const timer = { fn, delayMs, cancelled: false };
      timers.push(timer);
      return () => { timer.cancelled = true; };
    },
    log: { info: (...p) => logs.push(p.join(' ')), warn: (...p) => logs.push(p.join(' ')) },
    ...opts,
  };
  const awaiting = new AwaitingKeys(options);
  const intake = new EncryptedIntake({
    encryption: { decrypt, ensureDevice: async () => undefined }, portalOf: options.portalOf, botUserId: BOT, sendNotice,
    log: { warn: (...p) => logs.push(p.join(' ')) }, awaitingKeys: awaiting,
  });
  /** the timer armed last, if still armed */
  const armed = () => timers.filter((t) => !t.cancelled).at(-1);
  /** lets time pass to the armed timer and runs what it runs */
  const fire = async () => {
    const timer = armed();
    assert.ok(timer, 'a timer is armed');
    timer.cancelled = true;
    clock.now += timer.delayMs;
    timer.fn();
    await awaiting.expire(); // queued behind the timer's run: resolves once it has finished
  };
  return { store, keys, clock, timers, armed, fire, delivered, notices, logs, awaiting, intake, path };
}

test('an event whose key has not come is held, not told; when the key comes it is handed on decrypted, once', async (t) => {
  const w = world();
  t.after(async () => await w.store.close());
  assert.equal(await w.intake.reveal(encrypted()), undefined, 'nothing to hand on now');
  assert.deepEqual(w.notices, [], 'the sender is not told yet');
  assert.equal(await w.store.awaitingKeys.count(), 1);
  assert.equal(w.armed()?.delayMs, TIMEOUT_MS, 'the time-out is armed');

  await w.awaiting.retry();
  assert.deepEqual(w.delivered, [], 'still no key: still held');
  assert.equal(await w.store.awaitingKeys.count(), 1);

  w.keys.set('$e1', clear('late hello'));
  await w.awaiting.retry();
  assert.deepEqual(w.delivered, [{ ...encrypted(), type: 'm.room.message', content: { msgtype: 'm.text', body: 'late hello' } }],
    'handed on as a live decrypted event would be');
  assert.equal(await w.store.awaitingKeys.count(), 0);
  assert.equal(w.armed(), undefined, 'nothing left to time out');
  await w.awaiting.retry();
  assert.equal(w.delivered.length, 1, 'not handed on twice');
  assert.deepEqual(w.notices, []);
  assert.doesNotMatch(w.logs.join('\n'), /xyz-secret|late hello/, 'no ciphertext or content in the log');
});

test('after the time-out the sender is told in the room (the same notice and txnId as at once) and the event is dropped', async (t) => {
  const w = world();
  t.after(async () => await w.store.close());
  await w.intake.reveal(encrypted());
  await w.fire();
  const expected: typeof w.notices = [];
  await tellUndecryptable(async (roomId, content, txnId) => { expected.push({ roomId, content, txnId }); }, encrypted(), 'MissingRoomKey');
  assert.deepEqual(w.notices, expected);
  assert.match(String(w.notices[0].content.body), /could not decrypt a message you sent[\s\S]*the key for it never reached the bridge/);
  assert.deepEqual(w.notices[0].content['m.relates_to'], { 'm.in_reply_to': { event_id: '$e1' } });
  assert.equal(await w.store.awaitingKeys.count(), 0);
  assert.ok(w.logs.some((l) => /\$e1 in !portal:hs.*did not arrive within 60 s \(MissingRoomKey\); its sender is told/.test(l)), w.logs.join('\n'));
  w.keys.set('$e1', clear('too late'));
  await w.awaiting.retry();
  assert.deepEqual(w.delivered, [], 'once told, never bridged as well');
});

test('a notice that cannot be sent at the time-out keeps the event, and is tried again later', async (t) => {
  let down = true;
  const told: string[] = [];
  const w = world(undefined, { tell: async (event) => { if (down) throw new Error('homeserver down'); told.push(event.event_id); } });
  t.after(async () => await w.store.close());
  await w.intake.reveal(encrypted());
  await w.fire();
  assert.equal(await w.store.awaitingKeys.count(), 1, 'kept: not told yet');
  assert.ok((w.armed()?.delayMs ?? 0) > 0, 'tried again after a pause, not at once');
  down = false;
  await w.fire();
  assert.deepEqual(told, ['$e1']);
  assert.equal(await w.store.awaitingKeys.count(), 0);
});

test('a crypto failure (thrown) keeps the event for the next try, but not past its time-out', async (t) => {
  const w = world(undefined, { encryption: { decrypt: async () => { throw new Error('crypto store write failed'); } } });
  t.after(async () => await w.store.close());
  await w.intake.reveal(encrypted()); // the intake's own decrypt said MissingRoomKey
  await w.awaiting.retry();
  assert.equal(await w.store.awaitingKeys.count(), 1, 'kept');
  assert.ok(w.logs.some((l) => /\$e1 in !portal:hs waits on for its key: this attempt failed \(crypto store write failed\)/.test(l)));
  await w.fire();
  assert.equal(w.notices.length, 1, 'told when its time is up');
  assert.equal(await w.store.awaitingKeys.count(), 0);
});

test('held events survive a restart: tried again at start, and their time-out resumes', async (t) => {
  const first = world();
  await first.intake.reveal(encrypted('$e1'));
  await first.intake.reveal(encrypted('$e2'));
  await first.awaiting.stop();
  await first.store.close();

  const keys = new Map([['$e1', clear('kept across a restart')]]);
  const again = world(first.path, { keys });
  t.after(async () => await again.store.close());
  again.clock.now = first.clock.now + 10 * TIMEOUT_MS; // down far longer than the time-out
  await again.awaiting.start();
  assert.deepEqual(again.delivered.map((e) => [e.event_id, e.content?.body]), [['$e1', 'kept across a restart']]);
  assert.equal(await again.store.awaitingKeys.count(), 1, '$e2 still waits');
  assert.equal(again.notices.length, 0, 'not told at once: its key may be in what the homeserver kept for the bridge');
  assert.equal(again.armed()?.delayMs, TIMEOUT_MS, 'a full time-out from the start');
  await again.fire();
  assert.deepEqual(again.notices.map((n) => (n.content['m.relates_to'] as { 'm.in_reply_to': { event_id: string } })['m.in_reply_to'].event_id), ['$e2']);
  assert.equal(await again.store.awaitingKeys.count(), 0);
});

test('beyond the cap the oldest held event is told and dropped, never dropped untold', async (t) => {
  const w = world(undefined, { max: 2 });
  t.after(async () => await w.store.close());
  for (const id of ['$a', '$b', '$c']) {
    await w.intake.reveal(encrypted(id));
    w.clock.now += 1;
  }
  assert.equal(await w.store.awaitingKeys.count(), 2);
  assert.deepEqual((await w.store.awaitingKeys.oldest(10)).map((e) => e.eventId), ['$b', '$c']);
  assert.equal(w.notices.length, 1);
  assert.deepEqual(w.notices[0].content['m.relates_to'], { 'm.in_reply_to': { event_id: '$a' } });
  assert.ok(w.logs.some((l) => /\$a in !portal:hs.*more than 2 events wait for keys/.test(l)));
});

test('a failure no key fixes is told at once, held or not', async (t) => {
  const w = world();
  t.after(async () => await w.store.close());
  w.keys.set('$bad', { ok: false, reason: 'MismatchedSender' });
  assert.equal(await w.intake.reveal(encrypted('$bad')), undefined);
  assert.equal(await w.store.awaitingKeys.count(), 0, 'not held');
  assert.match(String(w.notices[0].content.body), /its key did not come from a device of yours/);
  // held while the key was missing, then a key from the wrong device: told at the next retry
  await w.intake.reveal(encrypted('$later'));
  w.keys.set('$later', { ok: false, reason: 'MismatchedIdentityKeys' });
  await w.awaiting.retry();
  assert.equal(w.notices.length, 2);
  assert.equal(await w.store.awaitingKeys.count(), 0);
});

test('with the real core: a crash between "handed on" and "released" bridges the message once after the restart', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login('@alice:example.org', '+4915112345678' as E164);
  await session.deliver(FakeSession.text('+14155552671' as E164, 'r1', 'hello'));
  const roomId = (await h.store.portals.get('@alice:example.org', '+14155552671'))?.roomId as string;
  const event = { ...encrypted('$late', roomId), sender: '@alice:example.org', origin_server_ts: Date.now() };
  const keys = new Map([['$late', clear('bridged once')]]);
  const crashingRelease: AwaitingKeyRepository = {
    hold: async (e) => await h.store.awaitingKeys.hold(e), oldest: async (n) => await h.store.awaitingKeys.oldest(n), count: async () => await h.store.awaitingKeys.count(),
    release: () => { throw new Error('killed before the release'); },
  };
  const bridge = (repository: AwaitingKeyRepository) => new AwaitingKeys({
    repository, encryption: { decrypt: async (e) => keys.get(e.event_id) ?? { ok: false, reason: 'MissingRoomKey' } },
    portalOf: async () => ({ owner: '@alice:example.org', ghost: GHOST }), botUserId: BOT,
    deliver: async (e) => { await h.core.matrixIntake.onEvent(e); }, tell: async () => assert.fail('not told'),
    timeoutMs: TIMEOUT_MS, schedule: () => () => undefined, log: { info: () => undefined, warn: () => undefined },
  });
  await h.store.awaitingKeys.hold({ eventId: '$late', roomId, event, reason: 'MissingRoomKey', heldAt: Date.now() });
  await bridge(crashingRelease).retry();
  assert.equal(await h.store.awaitingKeys.count(), 1, 'the crash left it held');
  await bridge(h.store.awaitingKeys).start();
  assert.equal(await h.store.awaitingKeys.count(), 0);
  await h.core.queue.idle();
  const bodies = session.sent.map((s) => (s.content.kind === 'message' && s.content.parts[0]?.type === 'text' ? s.content.parts[0].body : undefined));
  assert.deepEqual(bodies, ['bridged once'], 'core took the second hand-over as the replay it is');
});
