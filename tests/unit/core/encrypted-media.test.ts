// Media in an encrypted portal, through the real core over the fake ports (the fake Matrix
// side uses the real attachment encryption for rooms in `encryptedRooms`, as the real port
// does for rooms it encrypts events in): a remote photo is uploaded as ciphertext once, even
// when its event has to be sent again, and its event carries `file`, never `url`; a Matrix
// file with `file` reaches the network decrypted, and one whose hash does not match is
// refused with a notice while the portal's next message still goes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeSession, startCoreHarness } from '../../helpers/core-harness';
import { fromMatrix, ownerWithPortal, sentTexts, statuses, text, waitFor } from '../../helpers/outbox-driver';
import { decryptAttachment, encryptAttachment } from '../../../src/matrix/crypto/attachment-crypto';
import type { E164 } from '../../../src/network/phone';
import type { AttachmentPart } from '../../../src/protocol/content';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;

test('remote photo into an encrypted portal: ciphertext uploaded once without its name, the event has `file` only', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'r0', 'hello'));
  const roomId = (await h.store.portals.get(ALICE, SAM))?.roomId;
  assert.ok(roomId);
  h.matrix.encryptedRooms.add(roomId);
  const bytes = new Uint8Array(Array.from({ length: 500 }, (_, i) => i % 251));
  const photo = await session.uploadAttachment(bytes, { kind: 'image', mimeType: 'image/png', fileName: 'p.png' });
  // the photo's event fails once: the retry must reuse the encrypted upload, not make another
  let sends = 0;
  h.matrix.failWhen('sendEvent', (args) => String((args[3] as { msgtype?: string }).msgtype) === 'm.image' && sends++ === 0);
  const delivery = await session.deliver(FakeSession.message(SAM, 'r1', [photo]));
  assert.equal(delivery.acked(), 1);
  assert.equal(h.matrix.uploads.length, 1, 'uploaded once');
  const [upload] = h.matrix.uploads;
  assert.equal(upload.mimeType, 'application/octet-stream');
  assert.equal(upload.fileName, undefined, 'the homeserver is not told the file name');
  assert.ok(!Buffer.from(upload.bytes).equals(Buffer.from(bytes)), 'ciphertext, not the photo');
  const image = h.matrix.events.find((e) => e.roomId === roomId && e.content.msgtype === 'm.image');
  assert.ok(image);
  assert.equal(image.content.url, undefined);
  const file = image.content.file as { url: string };
  assert.equal(file.url, upload.mxc);
  assert.equal(image.content.body, 'p.png');
  assert.ok(Buffer.from(await decryptAttachment(upload.bytes, file)).equals(Buffer.from(bytes)));
});

test('remote photo into a plain portal: uploaded as is, the event has `url`', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  const bytes = new Uint8Array([1, 2, 3]);
  const photo = await session.uploadAttachment(bytes, { kind: 'image', mimeType: 'image/png', fileName: 'p.png' });
  await session.deliver(FakeSession.message(SAM, 'r1', [photo]));
  const image = h.matrix.events.find((e) => e.content.msgtype === 'm.image');
  assert.equal(image?.content.url, h.matrix.uploads[0].mxc);
  assert.equal(image?.content.file, undefined);
  assert.deepEqual([...h.matrix.uploads[0].bytes], [...bytes]);
  assert.equal(h.matrix.uploads[0].fileName, 'p.png');
});

test('Matrix `file` → the network gets the plaintext; a hash mismatch → a notice, not sent, the next message goes', async (t) => {
  const { h, session, roomId, said } = await ownerWithPortal(t, ALICE, ALICE_PHONE, SAM);
  const plain = new Uint8Array([5, 6, 7, 8, 9]);
  const { ciphertext, info } = await encryptAttachment(plain);
  h.matrix.media.set('mxc://example.org/enc1', ciphertext);
  const tampered = Uint8Array.from(ciphertext);
  tampered[0] ^= 1;
  h.matrix.media.set('mxc://example.org/enc2', tampered);
  const content = (url: string) => ({ msgtype: 'm.image', body: 'x.png', file: { ...info, url }, info: { mimetype: 'image/png', size: plain.length } });

  await fromMatrix(h, roomId, ALICE, 'm.room.message', content('mxc://example.org/enc1'));
  await waitFor('the image on the network', () => session.sent.length >= 1);
  const part = (session.sent[0].content as { parts: AttachmentPart[] }).parts[0];
  assert.equal(part.size, plain.length);
  assert.deepEqual([...session.attachments.get(part.mediaId)!], [...plain], 'the network got the plaintext');

  const bad = await fromMatrix(h, roomId, ALICE, 'm.room.message', content('mxc://example.org/enc2'));
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('after the bad file'));
  await waitFor('the next message', () => session.sent.length >= 2);
  await h.core.queue.idle();
  assert.deepEqual(sentTexts(session.sent.slice(1)), ['after the bad file']);
  const told = said();
  assert.equal(told.length, 1);
  assert.match(told[0], /Not delivered to the contact: the bridge could not decrypt the file: .*SHA-256 hash/);
  assert.deepEqual(statuses(h, bad).map((e) => e.content.status), ['FAIL_PERMANENT']);
  assert.equal(h.matrix.count('downloadMedia'), 2, 'a file that fails its hash is not fetched again');
});
