// Matrix → remote delivery through the real outbox over fake ports: a transient failure is
// retried for as long as it lasts (no retry count that drops a message), in order and once;
// a permanent refusal ends the job at once with a notice and the next message goes; a
// message older than bridge.delivery.max_age_seconds is given up with a notice; one stuck
// portal never holds up another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpError, startCoreHarness, unreachable } from '../../helpers/core-harness';
import { fromMatrix, notices, ownerWithPortal, sentTexts, statuses, text, waitFor } from '../../helpers/outbox-driver';
import { RemoteRefusedError, type E164 } from '../../../src/network/remote-network';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;
const KIM = '+14155552672' as E164;

const setUp = (t: { after: (fn: () => Promise<void>) => void }) => ownerWithPortal(t, ALICE, ALICE_PHONE, SAM);

test('outbox: the network down for many retry rounds, then back: every message delivered, in order, once', async (t) => {
  const { h, session, roomId, said } = await setUp(t);
  // 40 failed rounds: twice the old retry limit of 20, after which a message was dropped
  session.fail('send', 40, unreachable);
  for (const body of ['one', 'two', 'three']) await fromMatrix(h, roomId, ALICE, 'm.room.message', text(body));
  await waitFor('three messages on the network', () => session.sent.length >= 3);
  await h.core.queue.idle();
  assert.deepEqual(sentTexts(session.sent), ['one', 'two', 'three']);
  assert.ok(session.count('send') >= 43, 'the head was retried through every failed round');
  assert.deepEqual(said(), [], 'a transient failure is no reason to tell the room it failed');
});

test('outbox: a session that is disconnected, then connected again, gets what was written meanwhile', async (t) => {
  const { h, roomId, said } = await setUp(t);
  await h.core.sessions.disconnect(ALICE);
  for (const body of ['while away 1', 'while away 2']) await fromMatrix(h, roomId, ALICE, 'm.room.message', text(body));
  // many retry rounds pass (retry_max_ms is 20 ms in the harness) without anything given up
  await waitFor('retries while disconnected', async () => ((await h.store.outbox.nextFor(ALICE, SAM))?.attempts ?? 0) >= 25);
  assert.equal((await h.store.outbox.nextFor(ALICE, SAM))?.state, 'pending');
  const again = await h.login(ALICE, ALICE_PHONE);
  await waitFor('delivery after reconnecting', () => again.sent.length >= 2);
  await h.core.queue.idle();
  assert.deepEqual(sentTexts(again.sent), ['while away 1', 'while away 2']);
  assert.deepEqual(said(), []);
});

test('outbox: a permanent refusal is not retried: a notice says why at once, and the next message goes', async (t) => {
  const { h, session, roomId, said } = await setUp(t);
  session.fail('send', 1, () => new RemoteRefusedError('the network does not know this recipient', 'account_not_found'));
  const refused = await fromMatrix(h, roomId, ALICE, 'm.room.message', text('to nobody'));
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('next one'));
  await waitFor('the next message', () => session.sent.length >= 1);
  await h.core.queue.idle();
  assert.equal(session.count('send'), 2, 'the refused message was tried once');
  assert.deepEqual(sentTexts(session.sent), ['next one']);
  const told = said();
  assert.equal(told.length, 1);
  assert.match(told[0], /Not delivered to the contact: the network does not know this recipient/);
  assert.deepEqual(statuses(h, refused).map((e) => e.content.status), ['FAIL_PERMANENT']);
});

test('outbox: a message older than max_age_seconds is given up with a notice; the next one goes', async (t) => {
  const { h, session, roomId, said } = await setUp(t);
  const twoDaysAgo = Date.now() - 2 * 86_400_000;
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('stale'), { origin_server_ts: twoDaysAgo });
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('fresh'));
  await waitFor('the fresh message', () => session.sent.length >= 1);
  await h.core.queue.idle();
  assert.deepEqual(sentTexts(session.sent), ['fresh']);
  assert.match(said().join('\n'), /Not delivered to the contact: it could not be sent for 24 h/);
});

test('outbox: a job retried until it is too old ends with a notice when it gets too old, not at its next retry', async (t) => {
  // the first retry is a minute away: a notice that waited for it would come long after the wait below
  const h = await startCoreHarness({ adjust: (c) => Object.assign(c.bridge.delivery, { max_age_seconds: 1, retry_initial_ms: 60_000, retry_max_ms: 60_000 }) });
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  const { roomId } = await h.core.portals.ensure(ALICE, SAM);
  const before = h.matrix.events.length;
  const said = () => notices(h, roomId, before);
  session.fail('send', Infinity, unreachable);
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('never'));
  await waitFor('the too-old notice', () => said().length > 0, 10_000);
  assert.match(said()[0], /Not delivered to the contact: it could not be sent for 1 s/);
  session.heal();
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('after'));
  await waitFor('the next message', () => session.sent.length >= 1);
  assert.deepEqual(sentTexts(session.sent), ['after']);
});

test('outbox: a portal stuck on a homeserver 5xx never holds up another portal', async (t) => {
  const { h, session, roomId, said } = await setUp(t);
  const other = await h.core.portals.ensure(ALICE, KIM);
  const mxc = 'mxc://example.org/cat';
  h.matrix.media.set(mxc, new Uint8Array([1, 2, 3]));
  // an outage: the homeserver fails the probe too, so the download is not taken for poison
  h.matrix.fail('downloadMedia', Infinity, () => httpError(502));
  h.matrix.fail('ping', Infinity, () => httpError(502));
  await fromMatrix(h, roomId, ALICE, 'm.room.message', { msgtype: 'm.image', body: 'cat.png', url: mxc, info: { mimetype: 'image/png' } });
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('after the cat'));
  await fromMatrix(h, other.roomId, ALICE, 'm.room.message', text('to kim'));
  await waitFor('kim’s message', () => session.sent.length >= 1);
  assert.deepEqual(session.sent.map((s) => s.to), [KIM]);
  await waitFor('several download retries', () => h.matrix.count('downloadMedia') >= 10);
  assert.equal(session.sent.length, 1, 'nothing overtakes the stuck head of its own portal');
  h.matrix.heal();
  await waitFor('the cat and what followed', () => session.sent.length >= 3);
  const toSam = session.sent.filter((s) => s.to === SAM).map((s) => (s.content.kind === 'message' ? s.content.parts[0]?.type : undefined));
  assert.deepEqual(toSam, ['attachment', 'text']);
  assert.deepEqual(said(), []);
});

test('outbox: a file the homeserver keeps failing on (5xx) while it answers a probe is given up with a notice; the next message goes', async (t) => {
  const { h, session, roomId, said } = await setUp(t);
  // Synapse answers 502 for media on a server it cannot reach, as often as it is asked
  const mxc = 'mxc://unreachable.invalid/cat';
  h.matrix.failWhen('downloadMedia', ([url]) => url === mxc, () => httpError(502));
  const cat = await fromMatrix(h, roomId, ALICE, 'm.room.message', { msgtype: 'm.image', body: 'cat.png', url: mxc, info: { mimetype: 'image/png' } });
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('after the cat'));
  await waitFor('the next message', () => session.sent.length >= 1);
  assert.deepEqual(sentTexts(session.sent), ['after the cat']);
  assert.equal(h.matrix.count('downloadMedia'), 3, 'three tries, then the probe said the homeserver is up');
  const notice = said();
  assert.equal(notice.length, 1);
  assert.match(notice[0], /Not delivered to the contact: the homeserver failed to give the file 3 times/);
  assert.ok(statuses(h, cat).some((e) => e.content.status === 'FAIL_PERMANENT'));
});
