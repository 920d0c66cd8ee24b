/**
 * Building blocks shared by the frame and content schemas.
 *
 * Why plain SchemaObjects and not ajv's JSONSchemaType<T>: JSONSchemaType insists on
 * `nullable: true` for every optional property, which would let `null` through where the
 * TypeScript type says "absent" — the validator would then lie about the type it returns.
 * Instead each schema sits next to the type it checks, and tests validate every example frame
 * of docs/interop-protocol.md against them so the two cannot drift silently.
 */
import type { SchemaObject } from 'ajv';

export const PHONE_PATTERN = '^\\+[1-9][0-9]{6,14}$';

/** Name of the ajv format that checks standard base64 with padding (RFC 4648 §4). */
export const BASE64_FORMAT = 'base64';

const BASE64_ALPHABET = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64_ALPHABET[c.charCodeAt(0)] = 1;

/**
 * Standard padded base64, checked in one linear pass. Why not a `pattern`: a regex with a
 * repeated group, such as `^(?:[A-Za-z0-9+/]{4})*...$`, makes V8's regexp engine keep one
 * backtrack entry per repetition, and megabytes of media overflow its stack
 * (`RangeError: Maximum call stack size exceeded` inside the validator, which took the whole
 * process down). This loop costs about 2 ns per character and cannot overflow.
 */
export function isBase64(s: string): boolean {
  const n = s.length;
  if (n % 4 !== 0) return false;
  // at most two '=' and only at the very end
  let end = n;
  if (end > 0 && s.charCodeAt(end - 1) === 0x3d) end--;
  if (end > 0 && s.charCodeAt(end - 1) === 0x3d) end--;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || BASE64_ALPHABET[c] !== 1) return false;
  }
  return true;
}

// maxLength first: ajv checks it before the pattern, so a huge string costs nothing
export const phone: SchemaObject = { type: 'string', maxLength: 16, pattern: PHONE_PATTERN };
export const base64: SchemaObject = { type: 'string', format: BASE64_FORMAT };
export const shortBase64: SchemaObject = { type: 'string', format: BASE64_FORMAT, maxLength: 8192 };
export const deviceId: SchemaObject = { type: 'integer', minimum: 1, maximum: 127 };
export const keyId: SchemaObject = { type: 'integer', minimum: 0, maximum: 0xffffff };
export const timestamp: SchemaObject = { type: 'integer', minimum: 0 };
/**
 * Identifiers chosen by the other side (message, media, envelope and request IDs) are limited to
 * characters that are harmless in logs, file names, URLs and markup: letters, digits and
 * `. _ ~ : @ $ + / = [ ] -`. That covers ULIDs, UUIDs, base64 (standard and URL-safe) and
 * Matrix event IDs (`$opaque:server.name`, which the bridge uses as message IDs); it excludes
 * whitespace, control characters, quotes, `<>` and anything outside ASCII.
 */
export const ID_PATTERN = '^[A-Za-z0-9._~:@$+/=\\[\\]-]{1,128}$';
export const opaqueId: SchemaObject = { type: 'string', minLength: 1, maxLength: 128, pattern: ID_PATTERN };
export const providerId: SchemaObject = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' };

/** An object schema with no properties beyond those listed. */
export function obj(properties: Record<string, SchemaObject>, required: string[] = Object.keys(properties)): SchemaObject {
  return { type: 'object', properties, required, additionalProperties: false };
}

export const deviceAddress = obj({ phone, deviceId });

export const signedPreKey = obj({ keyId, publicKey: shortBase64, signature: shortBase64 });
export const oneTimePreKey = obj({ keyId, publicKey: shortBase64 });

export const deviceAttributes = obj(
  { bridged: { type: 'boolean' }, name: { type: 'string', maxLength: 64 } },
  ['bridged'],
);

export const ciphertextType: SchemaObject = { type: 'string', enum: ['prekey', 'whisper', 'plaintext'] };
export const receiptStatus: SchemaObject = { type: 'string', enum: ['delivered', 'read'] };
export const messageIds: SchemaObject = { type: 'array', items: opaqueId, minItems: 1, maxItems: 1000 };
