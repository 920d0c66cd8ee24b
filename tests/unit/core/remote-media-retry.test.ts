// Per-part durability of a multi-part remote message: when a later part fails to send, the
// retry sends exactly the missing parts, the photo included, and does not upload it again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeSession, startCoreHarness } from '../../helpers/core-harness';
import type { E164 } from '../../../src/network/phone';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;

test('a multi-part message whose photo fails to send once: retried, photo kept, uploaded once', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r0', 'hello'));
  const bytes = new Uint8Array([1, 2, 3, 4]);
  const photo = await session.uploadAttachment(bytes, { kind: 'image', mimeType: 'image/png', fileName: 'p.png' });
  const message = FakeSession.message(SAM, 'r1', [{ type: 'text', body: 'look', format: 'plain' }, photo, { type: 'location', latitude: 1, longitude: 2 }]);
  // the text goes, then the photo's send fails once (the location behind it waits)
  let sends = 0;
  h.matrix.failWhen('sendEvent', (args) => args[4] !== undefined && String((args[3] as { msgtype?: string }).msgtype) === 'm.image' && sends++ === 0);
  const delivery = await session.deliver(message);
  assert.equal(delivery.acked(), 1);
  const roomId = (await h.store.portals.get(ALICE, SAM))?.roomId;
  const ghost = h.matrix.events.filter((e) => e.roomId === roomId && e.asUser === h.matrix.ghostUserId(SAM));
  assert.deepEqual(ghost.map((e) => e.content.msgtype), ['m.text', 'm.text', 'm.image', 'm.location']);
  assert.equal(h.matrix.uploads.length, 1, 'uploaded once');
  assert.equal(ghost[2].content.url, h.matrix.uploads[0].mxc);
  assert.equal(h.matrix.events.filter((e) => /could not fetch|Not delivered/.test(String(e.content.body))).length, 0);
  assert.deepEqual((await h.store.messages.byRemoteId(ALICE, SAM, 'r1')).map((m) => m.part), [0, 1, 2]);
});

test('a media upload that fails while the homeserver is down is retried, not turned into a notice', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r0', 'hello'));
  const photo = await session.uploadAttachment(new Uint8Array([9, 9]), { kind: 'image', mimeType: 'image/png' });
  h.matrix.fail('uploadMedia', 3);
  const delivery = await session.deliver(FakeSession.message(SAM, 'r1', [photo]));
  assert.equal(delivery.acked(), 1);
  const image = h.matrix.events.find((e) => e.content.msgtype === 'm.image');
  assert.equal(image?.content.url, h.matrix.uploads[0].mxc);
  assert.equal(h.matrix.uploads.length, 1);
});
