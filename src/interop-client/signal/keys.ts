/**
 * Generation of the local identity and of prekeys, saved to the stores first and then
 * returned in the wire shape (frames.ts) for `device.register` / `keys.upload`. Private
 * halves never leave the stores.
 */
import { randomInt } from 'node:crypto';
import {
  IdentityKeyPair,
  KEMKeyPair,
  KyberPreKeyRecord,
  PreKeyRecord,
  PrivateKey,
  SignedPreKeyRecord,
} from '@signalapp/libsignal-client';
import type { DeviceKeys, OneTimePreKey, SignedPreKey } from '../../protocol/frames';
import { toBase64 } from '../sodium';
import type { LocalAccountState, SignalAccountStores } from './stores';

/** Signal registration IDs are 14-bit and non-zero; 16380 is libsignal's upper bound. */
const MAX_REGISTRATION_ID = 16380;

/** Creates the account's identity key pair once; later calls return the stored one. */
export async function ensureLocalIdentity(stores: SignalAccountStores): Promise<LocalAccountState> {
  const existing = await stores.local.load();
  if (existing) return existing;
  await stores.local.create(IdentityKeyPair.generate(), randomInt(1, MAX_REGISTRATION_ID + 1));
  const created = await stores.local.load();
  if (!created) throw new Error('local identity vanished right after creation');
  return created;
}

async function identity(stores: SignalAccountStores): Promise<IdentityKeyPair> {
  const state = await stores.local.load();
  if (!state) throw new Error(`no local Signal identity for ${stores.account}`);
  return state.identityKeyPair;
}

export async function generateSignedPreKey(stores: SignalAccountStores): Promise<SignedPreKey> {
  const idKey = await identity(stores);
  const id = await stores.local.allocateIds('signed', 1);
  const priv = PrivateKey.generate();
  const pub = priv.getPublicKey();
  const signature = idKey.privateKey.sign(pub.serialize());
  await stores.signedPreKey.saveSignedPreKey(id, SignedPreKeyRecord.new(id, Date.now(), pub, priv, signature));
  return { keyId: id, publicKey: toBase64(pub.serialize()), signature: toBase64(signature) };
}

async function generateKyber(stores: SignalAccountStores, lastResort: boolean, count: number): Promise<SignedPreKey[]> {
  if (count <= 0) return [];
  const idKey = await identity(stores);
  const first = await stores.local.allocateIds('kyber', count);
  const out: SignedPreKey[] = [];
  for (let i = 0; i < count; i++) {
    const id = first + i;
    const pair = KEMKeyPair.generate();
    const pub = pair.getPublicKey().serialize();
    const signature = idKey.privateKey.sign(pub);
    await stores.kyberPreKey.saveKyberPreKeyOfKind(id, KyberPreKeyRecord.new(id, Date.now(), pair, signature), lastResort);
    out.push({ keyId: id, publicKey: toBase64(pub), signature: toBase64(signature) });
  }
  return out;
}

export async function generateLastResortKyberPreKey(stores: SignalAccountStores): Promise<SignedPreKey> {
  return (await generateKyber(stores, true, 1))[0];
}

export function generateOneTimeKyberPreKeys(stores: SignalAccountStores, count: number): Promise<SignedPreKey[]> {
  return generateKyber(stores, false, count);
}

export async function generateOneTimePreKeys(stores: SignalAccountStores, count: number): Promise<OneTimePreKey[]> {
  if (count <= 0) return [];
  const first = await stores.local.allocateIds('prekey', count);
  const out: OneTimePreKey[] = [];
  for (let i = 0; i < count; i++) {
    const id = first + i;
    const priv = PrivateKey.generate();
    const pub = priv.getPublicKey();
    await stores.preKey.savePreKey(id, PreKeyRecord.new(id, pub, priv));
    out.push({ keyId: id, publicKey: toBase64(pub.serialize()) });
  }
  return out;
}

export interface InitialKeyCounts {
  oneTimePreKeys: number;
  oneTimeKyberPreKeys: number;
}

/** Everything a new device publishes: identity, signed prekey, last-resort Kyber, one-time batches. */
export async function generateDeviceKeys(stores: SignalAccountStores, counts: InitialKeyCounts): Promise<DeviceKeys> {
  const state = await ensureLocalIdentity(stores);
  return {
    identityKey: toBase64(state.identityKeyPair.publicKey.serialize()),
    signedPreKey: await generateSignedPreKey(stores),
    kyberPreKey: await generateLastResortKyberPreKey(stores),
    oneTimePreKeys: await generateOneTimePreKeys(stores, counts.oneTimePreKeys),
    oneTimeKyberPreKeys: await generateOneTimeKyberPreKeys(stores, counts.oneTimeKyberPreKeys),
  };
}
