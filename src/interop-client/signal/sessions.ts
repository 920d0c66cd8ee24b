/**
 * Signal sessions of one local account: establishing them from fetched bundles, encrypting
 * and decrypting per remote device, safety numbers, and the `identityChanged` event.
 */
import { EventEmitter } from 'node:events';
import {
  CiphertextMessageType,
  ErrorCode,
  Fingerprint,
  KEMPublicKey,
  LibSignalErrorBase,
  PreKeyBundle,
  PreKeySignalMessage,
  ProtocolAddress,
  PublicKey,
  SignalMessage,
  processPreKeyBundle,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
} from '@signalapp/libsignal-client';
import type { CiphertextType, PreKeyBundle as WireBundle } from '../../protocol/frames';
import { KeyedQueue } from '../../lib/keyed-queue';
import { fromBase64, getSodium, toBase64 } from '../sodium';
import type { IdentityChangeRecord, SignalAccountStores } from './stores';

export interface IdentityChangedEvent {
  remotePhone: string;
  /** the device with the new key */
  deviceId: number;
  /** the device the old key belonged to (a reinstalled app registers a new device id) */
  oldDeviceId: number;
  /** short SHA-256 fingerprints of the old and new identity keys */
  oldFingerprint: string;
  newFingerprint: string;
  /** the safety numbers a person would compare, before and after */
  oldSafetyNumber: string;
  newSafetyNumber: string;
  at: number;
}

export interface EncryptedForDevice {
  type: Exclude<CiphertextType, 'plaintext'>;
  body: string;
}

/** Thrown for a redelivered message whose ratchet step was already taken. */
export class DuplicateMessageError extends Error {
  constructor() {
    super('message already decrypted (duplicate delivery)');
    this.name = 'DuplicateMessageError';
  }
}

/** Iterations and version used by Signal for phone-number safety numbers. */
const FINGERPRINT_ITERATIONS = 5200;
const FINGERPRINT_VERSION = 1;

export function formatSafetyNumber(digits: string): string {
  return (digits.match(/.{1,5}/g) ?? []).join(' ');
}

/**
 * The safety number of two identities: libsignal `Fingerprint` with Signal's parameters for
 * phone numbers, each side identified by the UTF-8 bytes of its E.164 number ("+" included).
 * Symmetric: both sides compute the same 60 digits, shown in 12 groups of 5.
 */
export function safetyNumberOf(localPhone: string, localKey: PublicKey, remotePhone: string, remoteKey: PublicKey): string {
  const fingerprint = Fingerprint.new(
    FINGERPRINT_ITERATIONS,
    FINGERPRINT_VERSION,
    new Uint8Array(Buffer.from(localPhone, 'utf8')),
    localKey,
    new Uint8Array(Buffer.from(remotePhone, 'utf8')),
    remoteKey,
  );
  return formatSafetyNumber(fingerprint.displayableFingerprint().toString());
}

/** The short fingerprint shown in room state: the first 128 bits of SHA-256 over the
 *  serialized identity key (33 bytes: the type byte 0x05, then the Curve25519 key), as hex in
 *  groups of four. */
export async function keyFingerprint(key: PublicKey): Promise<string> {
  const sodium = await getSodium();
  const hex = sodium.to_hex(sodium.crypto_hash_sha256(key.serialize())).slice(0, 32);
  return (hex.match(/.{4}/g) ?? []).join(' ');
}

export class SignalSessions extends EventEmitter<{ identityChanged: [IdentityChangedEvent] }> {
  private readonly mutex = new KeyedQueue();
  /** identity changes seen per contact in this process, counted synchronously (the event
   *  itself follows after the fingerprints are computed) */
  private readonly changeCounts = new Map<string, number>();

  identityChangeCount(phone: string): number {
    return this.changeCounts.get(phone) ?? 0;
  }

  constructor(
    private readonly stores: SignalAccountStores,
    private readonly localPhone: string,
    private readonly localDeviceId: number,
  ) {
    super();
    stores.identity.setChangeListener((change) => {
      this.changeCounts.set(change.name, (this.changeCounts.get(change.name) ?? 0) + 1);
      void this.reportIdentityChange(change);
    });
  }

  private address(phone: string, deviceId: number): ProtocolAddress {
    return ProtocolAddress.new(phone, deviceId);
  }

  private get localAddress(): ProtocolAddress {
    return this.address(this.localPhone, this.localDeviceId);
  }

  async hasSession(phone: string, deviceId: number): Promise<boolean> {
    const record = await this.stores.session.getSession(this.address(phone, deviceId));
    return record !== null && record.hasCurrentState();
  }

  /** whether `identityKeyBase64` is the identity key stored for that device */
  async identityIs(phone: string, deviceId: number, identityKeyBase64: string): Promise<boolean> {
    const known = await this.stores.identity.getIdentity(this.address(phone, deviceId));
    return known !== null && toBase64(known.serialize()) === identityKeyBase64;
  }

  sessionDevices(phone: string): Promise<number[]> {
    return this.stores.session.listSessionDevices(phone);
  }

  deleteSession(phone: string, deviceId: number): Promise<void> {
    return this.mutex.run(`${phone}.${deviceId}`, () => this.stores.session.deleteSession(phone, deviceId));
  }

  /** The network says the device is gone: drop its session, keep its key only for comparison. */
  async forgetDevice(phone: string, deviceId: number): Promise<void> {
    await this.deleteSession(phone, deviceId);
    await this.stores.identity.retireDevice(phone, deviceId);
  }

  /** X3DH/PQXDH from a bundle fetched from the key directory. */
  startSession(phone: string, deviceId: number, registrationId: number, wire: WireBundle): Promise<void> {
    const bundle = PreKeyBundle.new(
      registrationId,
      deviceId,
      wire.oneTimePreKey?.keyId ?? null,
      wire.oneTimePreKey ? PublicKey.deserialize(fromBase64(wire.oneTimePreKey.publicKey, 'one-time prekey')) : null,
      wire.signedPreKey.keyId,
      PublicKey.deserialize(fromBase64(wire.signedPreKey.publicKey, 'signed prekey')),
      fromBase64(wire.signedPreKey.signature, 'signed prekey signature'),
      PublicKey.deserialize(fromBase64(wire.identityKey, 'identity key')),
      wire.kyberPreKey.keyId,
      KEMPublicKey.deserialize(fromBase64(wire.kyberPreKey.publicKey, 'Kyber prekey')),
      fromBase64(wire.kyberPreKey.signature, 'Kyber prekey signature'),
    );
    const address = this.address(phone, deviceId);
    return this.mutex.run(`${phone}.${deviceId}`, () =>
      processPreKeyBundle(bundle, address, this.localAddress, this.stores.session, this.stores.identity),
    );
  }

  encrypt(phone: string, deviceId: number, plaintext: Uint8Array): Promise<EncryptedForDevice> {
    const address = this.address(phone, deviceId);
    return this.mutex.run(`${phone}.${deviceId}`, async () => {
      const message = await signalEncrypt(
        new Uint8Array(plaintext),
        address,
        this.localAddress,
        this.stores.session,
        this.stores.identity,
      );
      const type = message.type() === CiphertextMessageType.PreKey ? 'prekey' : 'whisper';
      return { type, body: toBase64(message.serialize()) };
    });
  }

  /**
   * Decrypts one message. With `keepAs` (an envelope ID) the plaintext is kept in the pending
   * store in the same transaction as the ratchet step (DecryptionStores): a crash cannot
   * leave the step without the plaintext, which a redelivery could not decrypt again.
   */
  decrypt(phone: string, deviceId: number, type: 'prekey' | 'whisper', body: string, keepAs?: string): Promise<Uint8Array> {
    const address = this.address(phone, deviceId);
    const bytes = fromBase64(body, 'ciphertext');
    const s = this.stores;
    return this.mutex.run(`${phone}.${deviceId}`, async () => {
      const d = s.decryption();
      let plaintext: Uint8Array;
      try {
        plaintext = type === 'prekey'
          ? await signalDecryptPreKey(
            PreKeySignalMessage.deserialize(bytes), address, this.localAddress, d.session, s.identity, d.preKey, s.signedPreKey, d.kyberPreKey,
          )
          : await signalDecrypt(SignalMessage.deserialize(bytes), address, this.localAddress, d.session, s.identity);
      } catch (err) {
        if (err instanceof LibSignalErrorBase && err.code === ErrorCode.DuplicatedMessage) throw new DuplicateMessageError();
        throw err;
      }
      if (keepAs !== undefined) await d.pending.put(keepAs, plaintext);
      d.commit();
      return plaintext;
    });
  }

  async safetyNumber(remotePhone: string, remoteKey: PublicKey): Promise<string> {
    const local = await this.stores.local.load();
    if (!local) throw new Error(`no local Signal identity for ${this.localPhone}`);
    return safetyNumberOf(this.localPhone, local.identityKeyPair.publicKey, remotePhone, remoteKey);
  }

  /** One safety number per known device of `remotePhone` (each device has its own identity key). */
  async safetyNumbers(remotePhone: string): Promise<Array<{ deviceId: number; safetyNumber: string; fingerprint: string }>> {
    const identities = await this.stores.identity.listRemoteIdentities(remotePhone);
    return Promise.all(
      identities.map(async (id) => ({
        deviceId: id.deviceId,
        safetyNumber: await this.safetyNumber(remotePhone, id.publicKey),
        fingerprint: await keyFingerprint(id.publicKey),
      })),
    );
  }

  private async reportIdentityChange(change: IdentityChangeRecord): Promise<void> {
    try {
      this.emit('identityChanged', {
        remotePhone: change.name,
        deviceId: change.deviceId,
        oldDeviceId: change.oldDeviceId,
        oldFingerprint: await keyFingerprint(change.oldKey),
        newFingerprint: await keyFingerprint(change.newKey),
        oldSafetyNumber: await this.safetyNumber(change.name, change.oldKey),
        newSafetyNumber: await this.safetyNumber(change.name, change.newKey),
        at: change.at,
      });
    } catch (err) {
      console.error('could not report an identity key change:', (err as Error).message);
    }
  }
}
