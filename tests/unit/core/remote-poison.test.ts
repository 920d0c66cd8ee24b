// One poison message must not block everyone: what can be repaired is (lone surrogates become
// U+FFFD before conversion); a message the homeserver keeps failing on while it answers other
// requests is shown as a notice and acknowledged; an outage (everything fails) is not poison.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeSession, httpError, startCoreHarness, type CoreHarness } from '../../helpers/core-harness';
import type { E164 } from '../../../src/network/phone';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;

function ghostTexts(h: CoreHarness): unknown[] {
  return h.matrix.events.filter((e) => e.asUser === h.matrix.ghostUserId(SAM)).map((e) => e.content.body);
}

/** a homeserver that, like Synapse, fails (500) on any event with a lone surrogate */
function rejectLoneSurrogates(h: CoreHarness): void {
  const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
  h.matrix.failWhen('sendEvent', (args) => Object.values(args[3] as object).some((v) => typeof v === 'string' && lone.test(v)), () => httpError(500));
}

test('a lone surrogate is repaired: the text goes with U+FFFD in its place', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  rejectLoneSurrogates(h);
  const session = await h.login(ALICE, ALICE_PHONE);
  const delivery = await session.deliver(FakeSession.text(SAM, 'r1', 'broken \ud800 text'));
  assert.equal(delivery.acked(), 1);
  assert.deepEqual(ghostTexts(h), ['broken \ufffd text']);
});

test('a message the homeserver keeps failing on, while it answers: a notice, an ack, and the others flow', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r0', 'before'));
  h.matrix.failWhen('sendEvent', (args) => (args[3] as { body?: string }).body === 'poison', () => httpError(500));
  const results = await Promise.all(
    ['poison', 'after 1', 'poison', 'after 2'].map((body, i) => session.deliver(FakeSession.text(SAM, `p${i}`, body))),
  );
  assert.deepEqual(results.map((r) => r.acked()), [1, 1, 1, 1]);
  assert.deepEqual(ghostTexts(h), ['before', 'after 1', 'after 2']);
  const notices = h.matrix.events.filter((e) => e.asUser === h.matrix.botUserId && /Not delivered/.test(String(e.content.body)));
  assert.equal(notices.length, 2);
  assert.match(String(notices[0].content.body), /failed on this message again and again/);
  assert.ok(h.matrix.count('ping') >= 2, 'the homeserver was probed before the message was given up');
});

test('an outage that answers 5xx to everything (the probe too) is retried, not taken for poison', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r0', 'before'));
  h.matrix.fail('sendEvent', Infinity, () => httpError(502));
  h.matrix.fail('ping', Infinity, () => httpError(502));
  const pending = session.deliver(FakeSession.text(SAM, 'r1', 'during'));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.ok(h.matrix.count('ping') > 3);
  h.matrix.heal();
  assert.equal((await pending).acked(), 1);
  assert.deepEqual(ghostTexts(h), ['before', 'during']);
  assert.ok(!h.matrix.events.some((e) => /Not delivered/.test(String(e.content.body))));
});

test('an attachment whose file name holds a lone surrogate is uploaded under the repaired name', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  // the bot SDK puts the file name into the upload URL with encodeURIComponent, which throws
  // URIError on a lone surrogate, as often as it is asked
  h.matrix.failWhen('uploadMedia', (args) => typeof args[3] === 'string' && !(args[3] as string & { isWellFormed(): boolean }).isWellFormed(), () => new URIError('URI malformed'));
  const session = await h.login(ALICE, ALICE_PHONE);
  const file = await session.uploadAttachment(new Uint8Array([1, 2]), { kind: 'file', mimeType: 'text/plain', fileName: 'notes\ud800.txt' });
  const delivery = await session.deliver(FakeSession.message(SAM, 'f1', [file]));
  assert.equal(delivery.acked(), 1);
  assert.deepEqual(h.matrix.uploads.map((u) => u.fileName), ['notes\ufffd.txt']);
  assert.ok(h.matrix.events.some((e) => e.content.msgtype === 'm.file' && e.content.url === h.matrix.uploads[0].mxc));
});

test('a message the bridge itself keeps failing on (the same exception each time): a notice, an ack, and the others flow', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r0', 'before'));
  h.matrix.failWhen('sendEvent', (args) => (args[3] as { body?: string }).body === 'cursed', () => new URIError('URI malformed'));
  const cursed = await session.deliver(FakeSession.text(SAM, 'c1', 'cursed'));
  const after = await session.deliver(FakeSession.text(SAM, 'c2', 'after'));
  assert.equal(cursed.acked(), 1);
  assert.equal(after.acked(), 1);
  assert.deepEqual(ghostTexts(h), ['before', 'after']);
  const notice = h.matrix.events.find((e) => /Not delivered: a message from/.test(String(e.content.body)));
  assert.match(String(notice?.content.body), /the bridge failed on this message again and again \(URI malformed\)/);
});
