/**
 * The key directory refuses keys that cannot work: each key must parse as a libsignal key, and
 * each signed prekey's signature must verify with the device's identity key (as Signal's own
 * servers check). A peer would otherwise fetch a bundle that fails only when it tries to
 * start a session, far from the cause.
 */
import { KEMPublicKey, PublicKey } from '@signalapp/libsignal-client';
import type { OneTimePreKey, SignedPreKey } from '../protocol/frames';
import { GatewayError } from './context';

function bytes(b64: string): Uint8Array<ArrayBuffer> {
  const buf = Buffer.from(b64, 'base64');
  return new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

function parse<T>(what: string, field: string, fn: () => T): T {
  try {
    return fn();
  } catch {
    throw new GatewayError('invalid_params', `${what} is not a valid key`, field);
  }
}

export function parseIdentityKey(b64: string, field: string): PublicKey {
  return parse('identityKey', field, () => PublicKey.deserialize(bytes(b64)));
}

function checkSigned(identity: PublicKey, key: SignedPreKey, kind: 'ec' | 'kyber', field: string): void {
  const pub = bytes(key.publicKey);
  parse(`${field} publicKey`, `${field}/publicKey`, () => (kind === 'ec' ? PublicKey.deserialize(pub) : KEMPublicKey.deserialize(pub)));
  if (!identity.verify(pub, bytes(key.signature))) {
    throw new GatewayError('invalid_params', `the signature of ${field} does not verify with the identity key`, `${field}/signature`);
  }
}

export interface KeysToCheck {
  signedPreKey?: SignedPreKey;
  kyberPreKey?: SignedPreKey;
  oneTimePreKeys?: OneTimePreKey[];
  oneTimeKyberPreKeys?: SignedPreKey[];
}

/** Throws `invalid_params` naming the first key that is malformed or wrongly signed. */
export function checkKeys(identity: PublicKey, keys: KeysToCheck, prefix: string): void {
  if (keys.signedPreKey) checkSigned(identity, keys.signedPreKey, 'ec', `${prefix}/signedPreKey`);
  if (keys.kyberPreKey) checkSigned(identity, keys.kyberPreKey, 'kyber', `${prefix}/kyberPreKey`);
  keys.oneTimePreKeys?.forEach((k, i) => {
    const field = `${prefix}/oneTimePreKeys/${i}/publicKey`;
    parse(field, field, () => PublicKey.deserialize(bytes(k.publicKey)));
  });
  keys.oneTimeKyberPreKeys?.forEach((k, i) => checkSigned(identity, k, 'kyber', `${prefix}/oneTimeKyberPreKeys/${i}`));
}
