/**
 * The test vectors of docs/interop-protocol.md (Appendix A, machine-readable in
 * docs/test-vectors.json) are what the production code computes: the media crypto the client
 * and the bridge use, the gateway's digest, the safety number and key fingerprint the bridge
 * shows, the gateway's signature check. A third party implementing the spec alone checks its
 * code against these values, so they must never drift from ours, nor the appendix from the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  PrivateKey, ProtocolAddress, PublicKey, SenderKeyDistributionMessage, SenderKeyMessage, groupDecrypt, processSenderKeyDistributionMessage,
} from '@signalapp/libsignal-client';
import { SignalDatabase } from '../../../src/interop-client/signal/sqlite-database';
import { decryptAttachment, digestOf, MediaIntegrityError, sealAttachment } from '../../../src/interop-client/media';
import { keyFingerprint, safetyNumberOf } from '../../../src/interop-client/signal/sessions';
import { initCrypto, sha256Base64 } from '../../../src/gateway/crypto';
import { checkKeys, parseIdentityKey } from '../../../src/gateway/key-checks';
import { GatewayError } from '../../../src/gateway/context';
import { parseContent } from '../../../src/protocol/validate';
import type { AttachmentPart } from '../../../src/protocol/content';

// compiled to dist/tests/unit/protocol: the repository root is four levels up
const root = join(__dirname, '..', '..', '..', '..');
const spec = readFileSync(join(root, 'docs', 'interop-protocol.md'), 'utf8');

interface Identity { phone: string; privateKeyHex: string; identityKeyHex: string; identityKey: string; fingerprint: string }
interface Vectors {
  media: {
    keyHex: string; key: string; nonceHex: string; plaintextUtf8: string; plaintextHex: string; size: number;
    tagHex: string; ciphertextHex: string; blobHex: string; blob: string; storedSize: number; digestHex: string; digest: string;
  };
  identities: { alice: Identity; bob: Identity };
  safetyNumber: { iterations: number; aliceHalf: string; bobHalf: string; safetyNumber: string };
  signedPreKey: { keyId: number; privateKeyHex: string; publicKeyHex: string; publicKey: string; signature: string };
  senderKey: {
    senderPhone: string; senderDeviceId: number; distributionId: string; skdmHex: string;
    senderKeyMessageHex: string; senderKeyMessage: string; plaintextUtf8: string;
  };
}
const vectors = JSON.parse(readFileSync(join(root, 'docs', 'test-vectors.json'), 'utf8')) as Vectors;

const hex = (h: string): Uint8Array<ArrayBuffer> => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const publicKey = (id: Identity): PublicKey => PublicKey.deserialize(hex(id.identityKeyHex));

/** every JSON example of the spec, parsed (spec-examples.test.ts checks them against the schemas) */
const examples = [...spec.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]) as Record<string, unknown>);

test('media: the fixed key, nonce and plaintext give the blob and digest of the vectors', async () => {
  const m = vectors.media;
  assert.equal(Buffer.from(m.plaintextUtf8, 'utf8').toString('hex'), m.plaintextHex);
  const sealed = await sealAttachment(hex(m.plaintextHex), hex(m.keyHex), hex(m.nonceHex));
  assert.equal(toHex(sealed.blob), m.blobHex);
  assert.equal(Buffer.from(sealed.blob).toString('base64'), m.blob);
  // the layout the spec states: nonce, then the 16-byte tag, then the ciphertext
  assert.equal(m.blobHex, m.nonceHex + m.tagHex + m.ciphertextHex);
  assert.equal(sealed.blob.length, m.storedSize);
  assert.equal(sealed.key, m.key);
  assert.equal(sealed.digest, m.digest);
  assert.equal(Buffer.from(m.digest, 'base64').toString('hex'), m.digestHex);
  assert.equal(sealed.size, m.size);
  assert.equal(m.storedSize, m.size + 40);
  assert.equal(await digestOf(hex(m.blobHex)), m.digest);
});

test('media: the vector blob decrypts back, and a wrong size or digest is refused', async () => {
  const m = vectors.media;
  const plaintext = await decryptAttachment(hex(m.blobHex), { key: m.key, digest: m.digest, size: m.size });
  assert.equal(Buffer.from(plaintext).toString('utf8'), m.plaintextUtf8);
  // `size` is the plaintext's: the stored size is refused
  await assert.rejects(decryptAttachment(hex(m.blobHex), { key: m.key, digest: m.digest, size: m.storedSize }), MediaIntegrityError);
  const tampered = hex(m.blobHex);
  tampered[tampered.length - 1] ^= 1;
  await assert.rejects(decryptAttachment(tampered, { key: m.key, digest: m.digest, size: m.size }), MediaIntegrityError);
});

test('media: the gateway digests the stored blob to the same digest the content carries', async () => {
  await initCrypto();
  assert.equal(sha256Base64(hex(vectors.media.blobHex)), vectors.media.digest);
});

test('media: the spec section 9 examples carry the vector blob, stored size, digest and plaintext size', () => {
  const m = vectors.media;
  const upload = examples.find((e) => e.type === 'media.upload') as { params: { data: string } };
  assert.equal(upload.params.data, m.blob);
  const answers = examples.filter((e) => e.id === '21' || e.id === '22').map((e) => e.result).filter(Boolean) as Record<string, unknown>[];
  assert.equal(answers.length, 2);
  for (const a of answers) assert.equal(a.size, m.storedSize);
  assert.equal(answers[0].digest, m.digest);
  assert.equal(answers[1].data, m.blob);
  const parts = examples.flatMap((e) => (Array.isArray(e.parts) ? (e.parts as AttachmentPart[]) : [])).filter((p) => p.key === m.key && p.digest === m.digest);
  assert.equal(parts.length, 1, 'one attachment part names the vector blob');
  assert.equal(parts[0].size, m.size);
});

test('identity keys: each private key gives the identity key of the vectors, 33 bytes starting 0x05', () => {
  for (const id of [vectors.identities.alice, vectors.identities.bob]) {
    const derived = PrivateKey.deserialize(hex(id.privateKeyHex)).getPublicKey().serialize();
    assert.equal(toHex(derived), id.identityKeyHex);
    assert.equal(Buffer.from(derived).toString('base64'), id.identityKey);
    assert.equal(derived.length, 33);
    assert.equal(derived[0], 0x05);
  }
});

test('safety number: the production function gives the vector, the same from either side', () => {
  const { alice, bob } = vectors.identities;
  const expected = vectors.safetyNumber.safetyNumber;
  assert.equal(safetyNumberOf(alice.phone, publicKey(alice), bob.phone, publicKey(bob)), expected);
  assert.equal(safetyNumberOf(bob.phone, publicKey(bob), alice.phone, publicKey(alice)), expected);
  const halves = [vectors.safetyNumber.aliceHalf, vectors.safetyNumber.bobHalf].sort();
  assert.equal(expected.replace(/ /g, ''), halves.join(''));
  assert.match(expected, /^\d{5}( \d{5}){11}$/);
});

test('safety number: the identifier is the E.164 number with its "+", not the digits alone', () => {
  const { alice, bob } = vectors.identities;
  const withoutPlus = safetyNumberOf(alice.phone.slice(1), publicKey(alice), bob.phone.slice(1), publicKey(bob));
  assert.notEqual(withoutPlus, vectors.safetyNumber.safetyNumber);
});

test('key fingerprint: SHA-256 of the 33-byte identity key, first 128 bits in groups of four', async () => {
  for (const id of [vectors.identities.alice, vectors.identities.bob]) {
    assert.equal(await keyFingerprint(publicKey(id)), id.fingerprint);
    await initCrypto();
    const sha = Buffer.from(sha256Base64(hex(id.identityKeyHex)), 'base64').toString('hex');
    assert.equal(id.fingerprint.replace(/ /g, ''), sha.slice(0, 32));
  }
});

test('signed prekey: the gateway accepts the vector signature over the 33 public-key bytes, and refuses it over anything else', () => {
  const { alice } = vectors.identities;
  const spk = vectors.signedPreKey;
  assert.equal(toHex(PrivateKey.deserialize(hex(spk.privateKeyHex)).getPublicKey().serialize()), spk.publicKeyHex);
  assert.equal(Buffer.from(spk.publicKeyHex, 'hex').toString('base64'), spk.publicKey);
  const identity = parseIdentityKey(alice.identityKey, '/params/keys/identityKey');
  const signed = { keyId: spk.keyId, publicKey: spk.publicKey, signature: spk.signature };
  checkKeys(identity, { signedPreKey: signed }, '/params/keys');
  // the same signature does not cover the 32 bytes without the type byte
  assert.equal(identity.verify(hex(spk.publicKeyHex).subarray(1), hex(Buffer.from(spk.signature, 'base64').toString('hex'))), false);
  const bob = parseIdentityKey(vectors.identities.bob.identityKey, '/params/keys/identityKey');
  assert.throws(() => checkKeys(bob, { signedPreKey: signed }, '/params/keys'), (e: unknown) => e instanceof GatewayError && e.code === 'invalid_params');
});

test('signed prekey: the spec examples of device.register and keys.fetch carry the vector identity and signed prekey', () => {
  const { alice } = vectors.identities;
  const spk = vectors.signedPreKey;
  const register = examples.find((e) => e.type === 'device.register') as { params: { keys: { identityKey: string; signedPreKey: unknown } } };
  const fetched = examples.find((e) => (e.result as { devices?: unknown[] } | undefined)?.devices?.some((d) => 'bundle' in (d as object))) as {
    result: { devices: { bundle: { identityKey: string; signedPreKey: unknown } }[] };
  };
  const signed = { keyId: spk.keyId, publicKey: spk.publicKey, signature: spk.signature };
  for (const keys of [register.params.keys, fetched.result.devices[0].bundle]) {
    assert.equal(keys.identityKey, alice.identityKey);
    assert.deepEqual(keys.signedPreKey, signed);
  }
});

test('content: the plaintext bodies of the spec are the UTF-8 JSON of valid content, unpadded', () => {
  const bodies = examples.flatMap((e) => {
    const messages = (e.params as { messages?: { type: string; body: string }[] } | undefined)?.messages ?? [];
    return messages.filter((m) => m.type === 'plaintext').map((m) => m.body);
  });
  assert.ok(bodies.length > 0);
  for (const body of bodies) {
    const bytes = Buffer.from(body, 'base64');
    const parsed = parseContent(new Uint8Array(bytes));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    assert.equal(bytes.toString('utf8'), JSON.stringify(JSON.parse(bytes.toString('utf8'))), 'the example is the JSON alone: no padding, nothing around it');
  }
});

test('sender key: the distribution message and the group message of the vectors decrypt to their content', async () => {
  const v = vectors.senderKey;
  assert.equal(Buffer.from(v.senderKeyMessage, 'base64').toString('hex'), v.senderKeyMessageHex);
  const skdm = SenderKeyDistributionMessage.deserialize(hex(v.skdmHex));
  assert.equal(skdm.distributionId(), v.distributionId);
  assert.equal(SenderKeyMessage.deserialize(hex(v.senderKeyMessageHex)).distributionId(), v.distributionId);
  // the store the client keeps sender keys in (sealed at rest in production)
  const dir = mkdtempSync(join(tmpdir(), 'sk-vector-'));
  const db = new SignalDatabase(join(dir, 'keys.db'));
  try {
    const store = db.forAccount('+33612345678').senderKey;
    const sender = ProtocolAddress.new(v.senderPhone, v.senderDeviceId);
    await processSenderKeyDistributionMessage(sender, skdm, store);
    const plaintext = await groupDecrypt(sender, store, hex(v.senderKeyMessageHex));
    assert.equal(Buffer.from(plaintext).toString('utf8'), v.plaintextUtf8);
    assert.ok(parseContent(plaintext).ok, 'the plaintext is valid content (section 11)');
    // the iteration is used up: a redelivery is refused, as the spec says
    await assert.rejects(groupDecrypt(sender, store, hex(v.senderKeyMessageHex)));
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** names and prose in the vectors file, not values the appendix must show */
const NOT_VALUES = new Set(['description', 'signer']);

/** every string value of the vectors file */
function vectorStrings(value: unknown, key = ''): string[] {
  if (typeof value === 'string') return NOT_VALUES.has(key) ? [] : [value];
  if (Array.isArray(value)) return [];
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => vectorStrings(v, k));
  return [];
}

test('the appendix of the spec shows the values of docs/test-vectors.json', () => {
  const appendix = spec.slice(spec.indexOf('## Appendix A. Test vectors'));
  assert.ok(appendix.length > 100, 'the spec has its Appendix A');
  const missing = vectorStrings(vectors).filter((s) => !appendix.includes(s));
  assert.deepEqual(missing, []);
  for (const n of [vectors.media.size, vectors.media.storedSize]) assert.ok(appendix.includes(String(n)));
  assert.ok(spec.includes(`Fingerprint.new(${vectors.safetyNumber.iterations}, 1,`));
});
