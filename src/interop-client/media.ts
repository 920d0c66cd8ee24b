/**
 * Attachment encryption for the interop network's media store. Every attachment gets a
 * fresh random secretbox key and nonce; the blob is nonce || tag || ciphertext; the digest is
 * SHA-256 of the whole blob and is checked before anything is decrypted, so a swapped or tampered blob is
 * refused without touching the key.
 */
import { fromBase64, getSodium, toBase64 } from './sodium';

export interface EncryptedAttachment {
  /** what is uploaded to the media store */
  blob: Uint8Array;
  /** base64 of the 32-byte secretbox key, travels inside the Signal ciphertext */
  key: string;
  /** base64 of SHA-256(blob) */
  digest: string;
  /** size of the plaintext in bytes */
  size: number;
}

export class MediaIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MediaIntegrityError';
  }
}

export async function encryptAttachment(plaintext: Uint8Array): Promise<EncryptedAttachment> {
  const sodium = await getSodium();
  const key = sodium.crypto_secretbox_keygen();
  try {
    return await sealAttachment(plaintext, key, sodium.randombytes_buf(sodium.crypto_secretbox_NONCEBYTES));
  } finally {
    sodium.memzero(key);
  }
}

/**
 * The blob for `plaintext` under a given key and nonce: nonce (24 bytes) || secretbox_easy
 * output (16-byte Poly1305 tag, then the ciphertext, as long as the plaintext). The layout
 * is the protocol's (docs/interop-protocol.md §9); encryptAttachment supplies a fresh key and
 * nonce, and the spec's test vectors fix them.
 */
export async function sealAttachment(plaintext: Uint8Array, key: Uint8Array, nonce: Uint8Array): Promise<EncryptedAttachment> {
  const sodium = await getSodium();
  if (key.length !== sodium.crypto_secretbox_KEYBYTES) throw new Error(`an attachment key must be ${sodium.crypto_secretbox_KEYBYTES} bytes, not ${key.length}`);
  if (nonce.length !== sodium.crypto_secretbox_NONCEBYTES) throw new Error(`an attachment nonce must be ${sodium.crypto_secretbox_NONCEBYTES} bytes, not ${nonce.length}`);
  const boxed = sodium.crypto_secretbox_easy(plaintext, nonce, key);
  const blob = new Uint8Array(nonce.length + boxed.length);
  blob.set(nonce, 0);
  blob.set(boxed, nonce.length);
  const digest = sodium.crypto_hash_sha256(blob);
  return { blob, key: toBase64(key), digest: toBase64(digest), size: plaintext.length };
}

export async function digestOf(blob: Uint8Array): Promise<string> {
  const sodium = await getSodium();
  return toBase64(sodium.crypto_hash_sha256(blob));
}

/**
 * Checks the digest, then decrypts. Throws MediaIntegrityError for a digest mismatch, a
 * blob that fails authentication, or a plaintext whose size differs from the one announced.
 */
export async function decryptAttachment(
  blob: Uint8Array,
  ref: { key: string; digest: string; size?: number },
): Promise<Uint8Array> {
  const sodium = await getSodium();
  const expected = fromBase64(ref.digest, 'attachment digest');
  const actual = sodium.crypto_hash_sha256(blob);
  if (expected.length !== actual.length || !sodium.memcmp(expected, actual)) {
    throw new MediaIntegrityError('attachment refused: the downloaded blob does not match its digest');
  }
  const key = fromBase64(ref.key, 'attachment key');
  if (key.length !== sodium.crypto_secretbox_KEYBYTES) {
    throw new MediaIntegrityError('attachment refused: the key has the wrong length');
  }
  const nonceBytes = sodium.crypto_secretbox_NONCEBYTES;
  if (blob.length < nonceBytes + sodium.crypto_secretbox_MACBYTES) {
    throw new MediaIntegrityError('attachment refused: the blob is too short');
  }
  let plaintext: Uint8Array;
  try {
    plaintext = sodium.crypto_secretbox_open_easy(blob.subarray(nonceBytes), blob.subarray(0, nonceBytes), key);
  } catch {
    throw new MediaIntegrityError('attachment refused: the blob does not decrypt with its key');
  }
  if (ref.size !== undefined && plaintext.length !== ref.size) {
    throw new MediaIntegrityError(`attachment refused: size ${plaintext.length} differs from announced ${ref.size}`);
  }
  return plaintext;
}
