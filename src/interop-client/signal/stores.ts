/**
 * The Signal key stores behind interfaces, so the client library does not care where keys
 * live. Each interface extends libsignal-client's abstract store (what libsignal calls
 * during encrypt/decrypt) with what the client library needs around it (counting prekeys,
 * allocating ids, listing devices). SqliteSignalStores is the implementation shipped here.
 */
import type {
  IdentityKeyPair,
  IdentityKeyStore,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyStore,
  PublicKey,
  SenderKeyStore,
  SessionStore,
  SignedPreKeyStore,
} from '@signalapp/libsignal-client';

export interface LocalAccountState {
  account: string;
  registrationId: number;
  identityKeyPair: IdentityKeyPair;
  /** assigned by the network when the device registers; undefined before */
  deviceId?: number;
}

export type PreKeyKind = 'prekey' | 'signed' | 'kyber';

export interface LocalAccountStore {
  load(): Promise<LocalAccountState | undefined>;
  create(identityKeyPair: IdentityKeyPair, registrationId: number): Promise<void>;
  setDeviceId(deviceId: number): Promise<void>;
  /** reserves `count` consecutive ids (24-bit, wrapping) and returns the first */
  allocateIds(kind: PreKeyKind, count: number): Promise<number>;
}

/** A remote identity key changed: the old and new keys, in the order they were seen. */
export interface IdentityChangeRecord {
  name: string;
  /** the device whose key is new */
  deviceId: number;
  /** the device the old key belonged to (differs from deviceId after a reinstall) */
  oldDeviceId: number;
  oldKey: PublicKey;
  newKey: PublicKey;
  at: number;
}

export interface RemoteIdentity {
  name: string;
  deviceId: number;
  publicKey: PublicKey;
  firstSeen: number;
  changedAt?: number;
}

/**
 * Trust policy: trust on first use and accept later changes (as WhatsApp does), but record
 * every change and tell the listener, so the application can warn, hold messages or ask.
 * A change is either a new key for a known device, or a key for a new device of a contact
 * whose previous key differs (the usual shape of a reinstall, since device ids are not reused).
 */
export interface InteropIdentityStore extends IdentityKeyStore {
  setChangeListener(listener: ((change: IdentityChangeRecord) => void) | undefined): void;
  /** current (not retired) device keys of a contact */
  listRemoteIdentities(name: string): Promise<RemoteIdentity[]>;
  /** the device is gone (the network said so); its key is kept only to detect changes */
  retireDevice(name: string, deviceId: number): Promise<void>;
  identityChanges(name: string): Promise<IdentityChangeRecord[]>;
}

export interface InteropSessionStore extends SessionStore {
  /** device ids with a stored session for `name` */
  listSessionDevices(name: string): Promise<number[]>;
  deleteSession(name: string, deviceId: number): Promise<void>;
}

export interface InteropPreKeyStore extends PreKeyStore {
  countPreKeys(): Promise<number>;
}

export interface InteropSignedPreKeyStore extends SignedPreKeyStore {
  /** the newest signed prekey, for rotation */
  latestSignedPreKey(): Promise<{ id: number; createdAt: number } | undefined>;
  /** deletes all but the `keep` newest (older ones may still be named by messages in flight) */
  pruneSignedPreKeys(keep: number): Promise<number>;
}

export interface InteropKyberPreKeyStore extends KyberPreKeyStore {
  saveKyberPreKeyOfKind(id: number, record: KyberPreKeyRecord, lastResort: boolean): Promise<void>;
  countOneTimeKyberPreKeys(): Promise<number>;
  /** deletes all but the `keep` newest last-resort keys */
  pruneLastResortKyberPreKeys(keep: number): Promise<number>;
}

/** Decrypted plaintexts waiting for the application's ack (see migrations.ts). */
export interface PendingPlaintextStore {
  put(envelopeId: string, plaintext: Uint8Array): Promise<void>;
  get(envelopeId: string): Promise<Uint8Array | undefined>;
  delete(envelopeId: string): Promise<void>;
}

/** libsignal's sender-key store (received keys and our own), plus forgetting a sender's. */
export type InteropSenderKeyStore = SenderKeyStore;

/** A device, as "phone/deviceId" keys are awkward to pass around. */
export interface MemberDevice {
  phone: string;
  deviceId: number;
}

/** Which sender key this account uses in each group and who holds it; which key each member
 *  device announced for each group. */
export interface GroupKeyStateStore {
  /** the distribution this account sends with in the group, and the devices that were sent it */
  sending(groupId: string): Promise<{ distributionId: string; holders: MemberDevice[] } | undefined>;
  /** a new distribution (after a rotation, or the first): nobody holds it yet */
  startSending(groupId: string, distributionId: string): Promise<void>;
  addHolders(groupId: string, distributionId: string, devices: readonly MemberDevice[]): Promise<void>;
  /** rotate: the next group message starts a new distribution */
  stopSending(groupId: string): Promise<void>;
  bindSender(groupId: string, sender: MemberDevice, distributionId: string): Promise<void>;
  senderDistribution(groupId: string, sender: MemberDevice): Promise<string | undefined>;
  /** this account is no longer in the group: forget everything about it */
  forgetGroup(groupId: string): Promise<void>;
}

/**
 * The stores one decryption writes to, its writes held back until `commit`, which applies
 * them (the ratchet step, consumed prekeys, the sender key step, and the plaintext kept with
 * `pending.put`) in one transaction. A crash leaves all of them or none: never a ratchet that
 * moved past an envelope whose plaintext was not kept, which would be lost on redelivery.
 * Dropped without `commit` (the decryption failed), nothing of it is written.
 */
export interface DecryptionStores {
  readonly session: SessionStore;
  readonly preKey: PreKeyStore;
  readonly kyberPreKey: KyberPreKeyStore;
  readonly senderKey: SenderKeyStore;
  readonly pending: Pick<PendingPlaintextStore, 'put'>;
  commit(): void;
}

export interface SignalAccountStores {
  readonly account: string;
  readonly local: LocalAccountStore;
  readonly identity: InteropIdentityStore;
  readonly session: InteropSessionStore;
  readonly preKey: InteropPreKeyStore;
  readonly signedPreKey: InteropSignedPreKeyStore;
  readonly kyberPreKey: InteropKyberPreKeyStore;
  readonly pending: PendingPlaintextStore;
  readonly senderKey: InteropSenderKeyStore;
  readonly groups: GroupKeyStateStore;
  /** fresh stores for one decryption (see DecryptionStores) */
  decryption(): DecryptionStores;
}
