import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MediaIntegrityError, decryptAttachment, digestOf, encryptAttachment } from '../../../src/interop-client/media';

describe('attachment encryption', () => {
  it('round-trips with a fresh key per attachment and a digest of the blob', async () => {
    const plaintext = new TextEncoder().encode('a picture, honestly');
    const a = await encryptAttachment(plaintext);
    const b = await encryptAttachment(plaintext);
    assert.notEqual(a.key, b.key);
    assert.notDeepEqual(a.blob, b.blob);
    assert.equal(a.size, plaintext.length);
    assert.equal(await digestOf(a.blob), a.digest);
    assert.equal(Buffer.from(a.blob).indexOf(Buffer.from(plaintext)), -1);
    assert.deepEqual(await decryptAttachment(a.blob, a), plaintext);
  });

  it('refuses a tampered blob before decrypting', async () => {
    const a = await encryptAttachment(new Uint8Array(1000).fill(7));
    const tampered = new Uint8Array(a.blob);
    tampered[500] ^= 0xff;
    await assert.rejects(decryptAttachment(tampered, a), (err: Error) => {
      assert.ok(err instanceof MediaIntegrityError);
      assert.match(err.message, /does not match its digest/);
      return true;
    });
  });

  it('refuses a blob whose digest matches but whose key does not', async () => {
    const a = await encryptAttachment(new Uint8Array([1, 2, 3]));
    const b = await encryptAttachment(new Uint8Array([1, 2, 3]));
    await assert.rejects(decryptAttachment(a.blob, { key: b.key, digest: a.digest }), /does not decrypt with its key/);
  });

  it('refuses a size that differs from the announced one', async () => {
    const a = await encryptAttachment(new Uint8Array([1, 2, 3]));
    await assert.rejects(decryptAttachment(a.blob, { ...a, size: 4 }), /differs from announced/);
  });

  it('refuses a malformed digest with a clear error', async () => {
    const a = await encryptAttachment(new Uint8Array([1]));
    await assert.rejects(decryptAttachment(a.blob, { key: a.key, digest: 'not base64!' }), /not valid base64/);
  });
});
