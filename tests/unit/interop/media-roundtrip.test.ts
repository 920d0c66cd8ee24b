/** Media through the gateway: encrypted upload, download with digest check, tampering refused. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { AttachmentPart } from '../../../src/protocol/content';
import { MediaIntegrityError } from '../../../src/interop-client/media';
import type { SimUser } from '../../../src/sim/sim-user';
import { TestGateway, findPlaintext } from './harness';

const ALICE = '+4915100000301';
const BOB = '+4915100000302';

function attachmentOf(sim: SimUser, messageId: string): AttachmentPart {
  const m = sim.received.find((x) => x.content.messageId === messageId);
  assert.ok(m && m.content.kind === 'message');
  const part = m.content.parts[0];
  assert.equal(part.type, 'attachment');
  return part as AttachmentPart;
}

describe('media round trip through the gateway', () => {
  let gw: TestGateway;
  let alice: SimUser;
  let bob: SimUser;

  before(async () => {
    gw = await TestGateway.start();
    alice = await gw.sim(ALICE);
    bob = await gw.sim(BOB);
  });
  after(() => gw.close());

  it('delivers a file that decrypts to the same bytes, and the gateway only holds ciphertext', async () => {
    const data = Buffer.concat([Buffer.from('media-marker: holiday photo '), randomBytes(200_000)]);
    const { messageId, part } = await alice.sendFile(BOB, data, { fileName: 'photo.jpg', mimeType: 'image/jpeg', kind: 'image', caption: 'us' });
    await bob.waitFor('message', (m) => m.content.messageId === messageId);
    const received = attachmentOf(bob, messageId);
    assert.equal(received.mediaId, part.mediaId);
    assert.equal(received.size, data.length);
    assert.equal(received.caption, 'us');
    assert.deepEqual(Buffer.from(await bob.download(received)), data);

    const db = gw.openDatabase();
    try {
      assert.deepEqual(findPlaintext(db, 'media-marker: holiday photo'), []);
      assert.deepEqual(findPlaintext(db, received.key), [], 'the media key must never reach the gateway');
    } finally {
      db.close();
    }
  });

  it('refuses a blob that was tampered with in the media store', async () => {
    const { messageId } = await alice.sendFile(BOB, randomBytes(4096), { fileName: 'doc.bin' });
    await bob.waitFor('message', (m) => m.content.messageId === messageId);
    const part = attachmentOf(bob, messageId);

    const db = gw.openDatabase(false);
    try {
      const row = db.prepare('SELECT data FROM media WHERE media_id = ?').get(part.mediaId) as { data: Buffer };
      const tampered = Buffer.from(row.data);
      tampered[100] ^= 0x5a;
      db.prepare('UPDATE media SET data = ? WHERE media_id = ?').run(tampered, part.mediaId);
    } finally {
      db.close();
    }
    await assert.rejects(bob.download(part), (err: Error) => err instanceof MediaIntegrityError && /digest/.test(err.message));
  });

  it('uploads and downloads media of 9.9 MB, just under the 10 MB limit', { timeout: 120_000 }, async () => {
    // 9.9 MiB of plaintext is about 13.8 MB of base64 on the wire, validated by both the
    // gateway (upload) and the client (download); the old base64 pattern overflowed V8's
    // regexp stack at half that size and took the process down
    const data = randomBytes(Math.floor(9.9 * 1024 * 1024));
    const { messageId } = await alice.sendFile(BOB, data, { fileName: 'big.bin' });
    await bob.waitFor('message', (m) => m.content.messageId === messageId);
    const part = attachmentOf(bob, messageId);
    assert.equal(part.size, data.length);
    assert.ok(Buffer.from(await bob.download(part)).equals(data), 'the downloaded file is the uploaded one');
  });
});
