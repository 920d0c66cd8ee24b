/**
 * The little cryptography the gateway itself does, from libsodium: random codes, hashing of
 * verification codes, constant-time secret comparison, media digests. Random IDs (one per
 * envelope) take their bytes from node:crypto directly: libsodium.js reads the same CSPRNG,
 * but its randombytes_buf costs about 150 µs a call against 5 µs.
 */
import sodiumModule from 'libsodium-wrappers-sumo';
import { randomFillSync } from 'node:crypto';

type Sodium = typeof sodiumModule;
let sodium: Sodium | undefined;

/** Must be awaited once before the functions below are used. */
export async function initCrypto(): Promise<void> {
  await sodiumModule.ready;
  sodium = sodiumModule;
}

function s(): Sodium {
  if (!sodium) throw new Error('initCrypto() was not awaited');
  return sodium;
}

/** 128 random bits, URL-safe base64 without padding. */
export function randomId(): string {
  return s().to_base64(randomFillSync(new Uint8Array(16)), s().base64_variants.URLSAFE_NO_PADDING);
}

/** Uniformly random decimal code of `digits` digits. */
export function randomCode(digits = 6): string {
  return String(s().randombytes_uniform(10 ** digits)).padStart(digits, '0');
}

/** Keyed hash of a verification code, bound to the phone it was sent to. */
export function hashCode(phone: string, code: string): Buffer {
  const key = s().crypto_generichash(32, `interop-gateway code key|${phone}`, null);
  return Buffer.from(s().crypto_generichash(32, code, key));
}

/** Constant-time equality of two secrets of any length (compares their hashes). */
export function secretsEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  return s().memcmp(s().crypto_generichash(32, a, null), s().crypto_generichash(32, b, null));
}

/** base64 SHA-256, the media digest of the content contract. */
export function sha256Base64(data: Uint8Array): string {
  return Buffer.from(s().crypto_hash_sha256(data)).toString('base64');
}
