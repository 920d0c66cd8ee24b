/**
 * The key directory's part of the interop protocol (docs/interop-protocol.md): what a device
 * publishes (identity key, signed and one-time prekeys, Kyber prekeys), what a sender fetches
 * to start a Signal session, and the keys.upload / keys.fetch requests. Types only;
 * re-exported by frames.ts.
 */
import type { Base64, Phone } from './frames';

export interface SignedPreKey {
  keyId: number;
  /** serialized libsignal PublicKey (EC) or KEMPublicKey (Kyber) */
  publicKey: Base64;
  /** signature by the device's identity key over publicKey */
  signature: Base64;
}

export interface OneTimePreKey {
  keyId: number;
  publicKey: Base64;
}

/** What one device publishes in the key directory. */
export interface DeviceKeys {
  /** serialized libsignal IdentityKey (public) */
  identityKey: Base64;
  signedPreKey: SignedPreKey;
  /** last-resort Kyber prekey (signed), used when no one-time Kyber prekey is left */
  kyberPreKey: SignedPreKey;
  oneTimePreKeys?: OneTimePreKey[];
  /** one-time Kyber prekeys (signed); consumed before the last-resort one */
  oneTimeKyberPreKeys?: SignedPreKey[];
}

/** Everything a sender needs to start a Signal session with one device (X3DH / PQXDH). */
export interface PreKeyBundle {
  identityKey: Base64;
  signedPreKey: SignedPreKey;
  /** a one-time Kyber prekey if one was left, else the last-resort one */
  kyberPreKey: SignedPreKey;
  /** absent when the device ran out; the session still works, with less forward secrecy */
  oneTimePreKey?: OneTimePreKey;
}

export interface DeviceAttributes {
  /** true when the device is a bridge (plaintext exists on the bridge host) */
  bridged: boolean;
  /** free-form label, e.g. "Pixel 8" or "matrix-interop-bridge" */
  name?: string;
}

export interface KeysUploadParams {
  phone: Phone;
  deviceId: number;
  /** replaces the current signed prekey */
  signedPreKey?: SignedPreKey;
  /** replaces the current last-resort Kyber prekey */
  kyberPreKey?: SignedPreKey;
  oneTimePreKeys?: OneTimePreKey[];
  oneTimeKyberPreKeys?: SignedPreKey[];
}
export interface KeysUploadResult {
  oneTimePreKeyCount: number;
  oneTimeKyberPreKeyCount: number;
}

export interface KeysFetchParams {
  /** the account whose devices to fetch (any provider) */
  phone: Phone;
}
export interface DeviceBundle {
  deviceId: number;
  registrationId: number;
  attributes: DeviceAttributes;
  /** absent for accounts of providers without end-to-end encryption */
  bundle?: PreKeyBundle;
}
export interface KeysFetchResult {
  phone: Phone;
  provider: string;
  /** false: this account's provider has no end-to-end encryption; send `plaintext` */
  e2ee: boolean;
  devices: DeviceBundle[];
}
