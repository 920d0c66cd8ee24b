/**
 * One place that waits for libsodium to load. The sumo build is used because the standard
 * build of libsodium-wrappers 0.8 no longer ships crypto_hash_sha256 (media digests are
 * SHA-256 by contract, see src/protocol/content.ts) nor crypto_pwhash (passphrase-derived
 * keys for encryption at rest).
 */
import { randomFillSync } from 'node:crypto';
import sodiumModule from 'libsodium-wrappers-sumo';

export type Sodium = typeof sodiumModule;

let readyPromise: Promise<Sodium> | undefined;

export function getSodium(): Promise<Sodium> {
  readyPromise ??= sodiumModule.ready.then(() => sodiumModule);
  return readyPromise;
}

/**
 * `n` bytes from the operating system's CSPRNG, for nonces and IDs on hot paths. libsodium.js
 * takes its randomness from node:crypto as well, but through a slow bridge out of WebAssembly:
 * measured here, randombytes_buf(24) costs about 150 µs against 5 µs for this, and the bridge
 * seals every Signal session record it saves (two or more per message).
 */
export function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  return randomFillSync(new Uint8Array(n));
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Strict base64 decoding: Buffer.from silently skips junk, which would hide corrupt keys. */
export function fromBase64(text: string, what: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new Error(`${what} is not valid base64`);
  }
  const buf = Buffer.from(text, 'base64');
  // a large Buffer owns its memory: viewed, not copied (a frame-limit envelope is 12 MiB); a
  // small one sits in Node's shared pool and is copied out, so it does not keep the pool alive
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength) return new Uint8Array(buf.buffer as ArrayBuffer);
  return new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}
