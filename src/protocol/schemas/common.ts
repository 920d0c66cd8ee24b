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
/** standard base64 with padding (RFC 4648 §4) */
export const BASE64_PATTERN = '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$';

export const phone: SchemaObject = { type: 'string', pattern: PHONE_PATTERN };
export const base64: SchemaObject = { type: 'string', pattern: BASE64_PATTERN };
export const shortBase64: SchemaObject = { type: 'string', pattern: BASE64_PATTERN, maxLength: 8192 };
export const deviceId: SchemaObject = { type: 'integer', minimum: 1, maximum: 127 };
export const keyId: SchemaObject = { type: 'integer', minimum: 0, maximum: 0xffffff };
export const timestamp: SchemaObject = { type: 'integer', minimum: 0 };
export const opaqueId: SchemaObject = { type: 'string', minLength: 1, maxLength: 128 };
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
