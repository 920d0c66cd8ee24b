// A flood of unreadable remote messages (garbage inside valid ciphertexts) used to give one
// notice each: thousands of homeserver sends that held the contact's chat for minutes. Now the
// first of a stretch gets a notice, the rest are counted and one summary says how many: when
// the window ends, before the contact's next readable message, or after a restart. Every
// message is still acknowledged only once reported or counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeSession, startCoreHarness, type CoreHarness } from '../../helpers/core-harness';
import { waitFor } from '../../helpers/outbox-driver';
import type { E164 } from '../../../src/network/phone';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;
const KIM = '+14155552672' as E164;

async function garbage(session: FakeSession, from: E164, n: number, prefix: string): Promise<number> {
  let acks = 0;
  for (let i = 0; i < n; i++) {
    await session.handler.onUnreadable(
      { from, reason: 'invalid_content: parts missing', serverTimestamp: Date.now(), encrypted: true, messageId: `${prefix}${i}` },
      async () => void acks++,
    );
  }
  return acks;
}

/** bodies of the bot's notices and the ghost's messages in a contact's portal, in order */
async function roomBodies(h: CoreHarness, contact: E164): Promise<string[]> {
  const roomId = (await h.store.portals.get(ALICE, contact))?.roomId;
  return h.matrix.inRoom(String(roomId)).filter((e) => e.eventType === 'm.room.message').map((e) => String(e.content.body));
}
const unreadableNotices = (bodies: string[]) => bodies.filter((b) => /could not be read/.test(b));

test('200 unreadable messages: one notice at once, all acknowledged; readable ones go on; one summary when the window ends', async (t) => {
  const h = await startCoreHarness({ adjust: (c) => { c.bridge.delivery.unreadable_notice_window_ms = 400; } });
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  assert.equal(await garbage(session, SAM, 200, 'g'), 200, 'every unreadable message is acknowledged');
  assert.equal(unreadableNotices(await roomBodies(h, SAM)).length, 1, 'one notice, not 200');
  // another contact's stretch is its own
  await garbage(session, KIM, 3, 'k');
  assert.equal(unreadableNotices(await roomBodies(h, KIM)).length, 1);
  // a readable message in the middle of the stretch goes at once, without a summary first
  const sends = h.matrix.count('sendEvent');
  const delivered = await session.deliver(FakeSession.text(SAM, 'ok1', 'a readable one'));
  assert.equal(delivered.acked(), 1);
  assert.equal(h.matrix.count('sendEvent') - sends, 1);
  assert.equal((await roomBodies(h, SAM)).at(-1), 'a readable one');

  await waitFor('the summaries', async () => (await roomBodies(h, SAM)).some((b) => /199 more messages/.test(b)) && (await roomBodies(h, KIM)).some((b) => /2 more messages/.test(b)));
  assert.match((await roomBodies(h, SAM)).at(-1) ?? '', /^⚠️ Not delivered: 199 more messages\. They arrived from .* between .* and .* could not be read either/);
  assert.equal((await roomBodies(h, SAM)).filter((b) => /more messages/.test(b)).length, 1);
});

test('a stretch that ends without a readable message gets its summary when the window ends', async (t) => {
  const h = await startCoreHarness({ adjust: (c) => { c.bridge.delivery.unreadable_notice_window_ms = 200; } });
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await garbage(session, SAM, 5, 'g');
  await waitFor('the summary', async () => (await roomBodies(h, SAM)).some((b) => /4 more messages/.test(b)));
  // after the window, the next unreadable message gets a notice of its own again
  await garbage(session, SAM, 1, 'late');
  assert.equal(unreadableNotices(await roomBodies(h, SAM)).filter((b) => /^⚠️ Not delivered: a message\./.test(b)).length, 2);
});

test('a summary the homeserver fails to take is retried; counted messages survive a restart and are summarised then', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'unreadable-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const secret = randomBytes(32).toString('base64');
  const adjust = (c: { security: { key_store_secret?: string }; bridge: { delivery: { unreadable_notice_window_ms: number } } }) => {
    c.security.key_store_secret = secret;
    c.bridge.delivery.unreadable_notice_window_ms = 3_600_000;
  };
  const first = await startCoreHarness({ dir, adjust });
  const session = await first.login(ALICE, ALICE_PHONE);
  await garbage(session, SAM, 10, 'g');
  await first.stop();

  const second = await startCoreHarness({ dir, adjust });
  t.after(() => second.stop());
  second.matrix.fail('sendEvent', 2);
  await second.login(ALICE, ALICE_PHONE);
  await waitFor('the summary after the restart', () => second.matrix.events.some((e) => /9 more messages/.test(String(e.content.body))));
  assert.equal(second.matrix.events.filter((e) => /more messages/.test(String(e.content.body))).length, 1);
  assert.equal((await second.store.unreadable.unreported(ALICE)).length, 0);
});
