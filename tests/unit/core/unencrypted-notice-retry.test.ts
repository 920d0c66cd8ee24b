// The "no end-to-end encryption" notice is sent exactly once per time the contact is newly
// seen without it, whatever fails around it: it used to hinge on a before/after pair of the
// contact's record, so accepting a request (which computes the pair once and retries with
// it) sent the notice again when the room-state write after it failed, and the normal path
// (which recomputes the pair on its retry, from the already updated record) sent none when
// the notice itself failed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeSession, httpError, startCoreHarness, type CoreHarness } from '../../helpers/core-harness';
import type { RemoteMessage } from '../../../src/network/remote-network';
import type { E164 } from '../../../src/network/phone';
import { SECURITY_STATE_TYPE } from '../../../src/security';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;

function plain(id: string, body: string): RemoteMessage {
  return { ...FakeSession.text(SAM, id, body), sender: { provider: 'plainchat', e2ee: false, bridged: false }, encrypted: false };
}

const unencryptedNotices = (h: CoreHarness, roomId: string) =>
  h.matrix.inRoom(roomId).filter((e) => e.asUser === h.matrix.botUserId && /without end-to-end encryption/.test(String(e.content.body))).length;
const summaryE2ee = (h: CoreHarness, roomId: string) =>
  (h.matrix.state.get(`${roomId}|${SECURITY_STATE_TYPE}|`) as { contact: { e2ee: boolean | null } } | undefined)?.contact.e2ee;

/** Alice has a portal with Sam, who has been end-to-end encrypted so far. */
async function established(t: { after(fn: () => Promise<void>): void }, dir?: string) {
  const h = await startCoreHarness({ dir });
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'm-1', 'hello'));
  const roomId = (await h.store.portals.get(ALICE, SAM))?.roomId as string;
  assert.ok(roomId);
  return { h, session, roomId };
}

test('the room-state write failing after the notice: the retry that accepting a request makes sends no second notice', async (t) => {
  const { h, roomId } = await established(t);
  // what accepting a request does: the sender recorded once, then the portal step retried
  await h.core.security.recordSender(ALICE, SAM, { provider: 'plainchat', e2ee: false, bridged: false });
  h.matrix.fail('setState', 1, () => httpError(502));
  await assert.rejects(h.core.security.senderRecorded(ALICE, SAM), /502/);
  assert.equal(unencryptedNotices(h, roomId), 1, 'the notice went out before the state write failed');
  await h.core.security.senderRecorded(ALICE, SAM);
  assert.equal(unencryptedNotices(h, roomId), 1, 'the retry does not tell the room again');
  assert.equal(summaryE2ee(h, roomId), false, 'the retry did write the room state');
});

test('the notice failing on the normal path: the retry still sends it, once', async (t) => {
  const { h, session, roomId } = await established(t);
  // the first event the message causes is the notice
  h.matrix.fail('sendEvent', 1, () => httpError(502));
  const delivered = await session.deliver(plain('m-2', 'sent in the clear'));
  assert.equal(delivered.acked(), 1);
  assert.equal(unencryptedNotices(h, roomId), 1, 'the notice arrives despite the failed first attempt');
  assert.ok(h.matrix.inRoom(roomId).some((e) => e.content.body === 'sent in the clear'));
  assert.equal(summaryE2ee(h, roomId), false);
  await session.deliver(plain('m-3', 'again in the clear'));
  assert.equal(unencryptedNotices(h, roomId), 1, 'nothing newly known, no notice');
});

test('the notice left due by a stop is sent after the restart, with the redelivered message', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'unencrypted-notice-'));
  const first = await established(t, dir);
  // the homeserver is down for notices; the bridge stops while retrying
  first.h.matrix.failWhen('sendEvent', (args) => /without end-to-end encryption/.test(String((args[3] as { body?: string }).body)));
  const pending = first.session.deliver(plain('m-2', 'sent in the clear'));
  const tried = () => first.h.matrix.calls.filter(([m, args]) => m === 'sendEvent' && /without end-to-end/.test(String((args[3] as { body?: string }).body))).length;
  for (const end = Date.now() + 5000; tried() < 1; await sleep(5)) if (Date.now() > end) throw new Error('the notice was never tried');
  await first.h.stop();
  assert.equal((await pending).acked(), 0, 'left with the network');
  assert.equal(unencryptedNotices(first.h, first.roomId), 0);

  const again = await startCoreHarness({ dir });
  t.after(() => again.stop());
  const session = await again.login(ALICE, ALICE_PHONE);
  await session.deliver(plain('m-2', 'sent in the clear'));
  assert.equal(unencryptedNotices(again, first.roomId), 1, 'the record was already updated, and the notice still came');
});
