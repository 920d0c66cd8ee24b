/**
 * Media in encrypted rooms (Matrix spec "Sending encrypted attachments"): the file is
 * encrypted with AES-256-CTR under a fresh key, its ciphertext uploaded, and the key, IV and
 * SHA-256 of the ciphertext travel in the event's `file` (an EncryptedFile), which the event's
 * own Megolm encryption hides from the homeserver. The cipher work is crypto-wasm's
 * `Attachment` API; this file only shapes its input and output and turns its failures into
 * sentences a sender can act on.
 */
import type { EncryptedFile } from '../../convert/matrix-types';
import { PermanentDeliveryError } from '../../core/errors';
import { loadCryptoWasm } from './wasm';

/** A file from Matrix that cannot be decrypted: bad encryption info, a wrong hash or key. */
export class AttachmentDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AttachmentDecryptionError';
  }
}

export interface EncryptedUpload {
  /** what goes to the homeserver */
  ciphertext: Uint8Array;
  /** the event's `file` without `url` (known only after the upload) */
  info: Omit<EncryptedFile, 'url'>;
}

export async function encryptAttachment(bytes: Uint8Array): Promise<EncryptedUpload> {
  const wasm = await loadCryptoWasm();
  const encrypted = wasm.Attachment.encrypt(bytes);
  try {
    const json = encrypted.mediaEncryptionInfo;
    if (json === undefined) throw new Error('crypto-wasm returned no media encryption info');
    return { ciphertext: encrypted.encryptedData, info: JSON.parse(json) as Omit<EncryptedFile, 'url'> };
  } finally {
    encrypted.free();
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** What is missing or wrong in an event's `file`, checked before crypto-wasm sees it so the
 *  sender hears which field (crypto-wasm's parse errors can quote the values, the key among
 *  them, and so never reach a notice or a log). */
function problemOf(file: unknown): string | undefined {
  if (!isObject(file)) return 'it has no encryption info';
  if (file.v !== 'v2') return `its encryption version is not v2`;
  const key = file.key;
  if (!isObject(key) || !nonEmpty(key.k)) return 'its encryption info has no key';
  if (key.alg !== 'A256CTR' || key.kty !== 'oct') return 'its key is not an AES-256-CTR key';
  if (!nonEmpty(file.iv)) return 'its encryption info has no IV';
  if (!isObject(file.hashes) || !nonEmpty(file.hashes.sha256)) return 'its encryption info has no SHA-256 hash';
  return undefined;
}

/**
 * The plaintext of a downloaded encrypted file. The hash is checked before anything is
 * decrypted (crypto-wasm does both), so a changed or truncated download, or a wrong key
 * paired with the wrong file, throws AttachmentDecryptionError and yields nothing.
 */
export async function decryptAttachment(ciphertext: Uint8Array, file: unknown): Promise<Uint8Array> {
  const problem = problemOf(file);
  if (problem) throw new AttachmentDecryptionError(problem);
  const wasm = await loadCryptoWasm();
  const { url: _url, ...info } = file as Record<string, unknown>;
  let attachment: InstanceType<typeof wasm.EncryptedAttachment>;
  try {
    attachment = new wasm.EncryptedAttachment(ciphertext, JSON.stringify(info));
  } catch {
    throw new AttachmentDecryptionError('its encryption info is not valid (key, IV or hash malformed)');
  }
  try {
    return wasm.Attachment.decrypt(attachment);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/hash mismatch/i.test(message)) throw new AttachmentDecryptionError('the downloaded file does not match its SHA-256 hash (changed, truncated or a different file)');
    throw new AttachmentDecryptionError('it could not be decrypted with the key it came with');
  } finally {
    attachment.free();
  }
}

/** decryptAttachment for the outbox (MatrixPort.decryptMedia): the same file with the same
 *  info fails the same way on every retry, so a failure is permanent and says why. */
export async function decryptForDelivery(ciphertext: Uint8Array, file: unknown): Promise<Uint8Array> {
  try {
    return await decryptAttachment(ciphertext, file);
  } catch (error) {
    if (error instanceof AttachmentDecryptionError) throw new PermanentDeliveryError(`the bridge could not decrypt the file: ${error.message}`, 'invalid');
    throw error;
  }
}
