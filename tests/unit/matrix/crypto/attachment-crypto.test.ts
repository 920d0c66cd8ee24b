// The glue around crypto-wasm's attachment API (src/matrix/crypto/attachment-crypto.ts): what
// the bridge uploads into an encrypted room is not the plaintext and decrypts back to it, and
// a file from Matrix whose download or encryption info is wrong is refused with a sentence
// the sender can act on: never garbage bytes, never a crash, never the key in the message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  AttachmentDecryptionError, decryptAttachment, decryptForDelivery, encryptAttachment,
} from '../../../../src/matrix/crypto/attachment-crypto';
import { PermanentDeliveryError } from '../../../../src/core/errors';

const plain = randomBytes(4096);

async function encrypted() {
  const { ciphertext, info } = await encryptAttachment(plain);
  return { ciphertext, file: { ...info, url: 'mxc://example.org/abc' } };
}

/** rejects with AttachmentDecryptionError whose message matches, and does not quote the key */
async function refused(ciphertext: Uint8Array, file: unknown, message: RegExp): Promise<void> {
  const key = (file as { key?: { k?: unknown } } | null)?.key?.k;
  await assert.rejects(decryptAttachment(ciphertext, file), (error: unknown) => {
    assert.ok(error instanceof AttachmentDecryptionError, `an AttachmentDecryptionError, got ${String(error)}`);
    assert.match(error.message, message);
    if (typeof key === 'string' && key.length > 4) assert.ok(!error.message.includes(key), 'the key is not in the message');
    return true;
  });
}

test('encrypt → an EncryptedFile (v2, A256CTR, sha256) whose ciphertext is not the plaintext and decrypts back to it', async () => {
  const { ciphertext, file } = await encrypted();
  assert.equal(file.v, 'v2');
  assert.equal(file.key.alg, 'A256CTR');
  assert.equal(file.key.kty, 'oct');
  assert.ok(file.key.key_ops.includes('decrypt'));
  assert.equal(typeof file.iv, 'string');
  assert.equal(typeof file.hashes.sha256, 'string');
  assert.equal(ciphertext.length, plain.length, 'AES-CTR keeps the size (the homeserver sees it)');
  assert.ok(!Buffer.from(ciphertext).equals(plain));
  assert.ok(Buffer.from(await decryptAttachment(ciphertext, file)).equals(plain));
  // the same info decrypts again (nothing is consumed on the caller's side)
  assert.ok(Buffer.from(await decryptAttachment(ciphertext, file)).equals(plain));
});

test('two encryptions of the same bytes use different keys and IVs', async () => {
  const [a, b] = [await encrypted(), await encrypted()];
  assert.notEqual(a.file.key.k, b.file.key.k);
  assert.notEqual(a.file.iv, b.file.iv);
  assert.ok(!Buffer.from(a.ciphertext).equals(Buffer.from(b.ciphertext)));
});

test('a changed or truncated download fails its hash: refused, nothing decrypted', async () => {
  const { ciphertext, file } = await encrypted();
  const flipped = Uint8Array.from(ciphertext);
  flipped[100] ^= 1;
  await refused(flipped, file, /does not match its SHA-256 hash/);
  await refused(ciphertext.slice(0, ciphertext.length - 1), file, /does not match its SHA-256 hash/);
  await refused(new Uint8Array(0), file, /does not match its SHA-256 hash/);
});

test('a wrong hash in the event: refused', async () => {
  const { ciphertext, file } = await encrypted();
  const other = await encrypted();
  await refused(ciphertext, { ...file, hashes: other.file.hashes }, /does not match its SHA-256 hash/);
});

test('missing or malformed encryption fields: refused, each named', async () => {
  const { ciphertext, file } = await encrypted();
  const { key: _key, ...noKey } = file;
  const { iv: _iv, ...noIv } = file;
  await refused(ciphertext, undefined, /no encryption info/);
  await refused(ciphertext, 'a string', /no encryption info/);
  await refused(ciphertext, noKey, /no key/);
  await refused(ciphertext, { ...file, key: { ...file.key, k: undefined } }, /no key/);
  await refused(ciphertext, { ...file, key: { ...file.key, k: '' } }, /no key/);
  await refused(ciphertext, { ...file, key: { ...file.key, alg: 'A128CBC' } }, /not an AES-256-CTR key/);
  await refused(ciphertext, noIv, /no IV/);
  await refused(ciphertext, { ...file, hashes: {} }, /no SHA-256 hash/);
  await refused(ciphertext, { ...file, hashes: { sha256: 42 } }, /no SHA-256 hash/);
  await refused(ciphertext, { ...file, v: 'v1' }, /version is not v2/);
  await refused(ciphertext, { ...file, v: undefined }, /version is not v2/);
});

test('a key or IV that is not valid base64 of the right length: refused without quoting it', async () => {
  const { ciphertext, file } = await encrypted();
  await refused(ciphertext, { ...file, key: { ...file.key, k: 'not*base64*at*all!!' } }, /not valid|could not be decrypted/);
  await refused(ciphertext, { ...file, key: { ...file.key, k: file.key.k.slice(0, 20) } }, /not valid|could not be decrypted/);
  await refused(ciphertext, { ...file, iv: '%%%' }, /not valid|could not be decrypted/);
});

test('for the outbox, a refusal is a PermanentDeliveryError (a notice to the sender, no retry)', async () => {
  const { ciphertext, file } = await encrypted();
  await assert.rejects(decryptForDelivery(ciphertext.slice(1), file), (error: unknown) => {
    assert.ok(error instanceof PermanentDeliveryError);
    assert.equal(error.reason, 'invalid');
    assert.match(error.message, /could not decrypt the file: .*SHA-256/);
    return true;
  });
  assert.ok(Buffer.from(await decryptForDelivery(ciphertext, file)).equals(plain));
});
