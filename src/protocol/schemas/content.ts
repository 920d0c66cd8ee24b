/**
 * JSON schema of the decrypted message content (types in ../content.ts).
 * Unknown properties are allowed and ignored (a newer sender may add optional fields, as MIMI
 * intends); unknown `kind`s must be sent as `unsupported`, unknown part types are refused.
 */
import type { SchemaObject } from 'ajv';
import { base64, opaqueId, timestamp } from './common';

const text = (maxLength: number): SchemaObject => ({ type: 'string', maxLength });
const dimension: SchemaObject = { type: 'integer', minimum: 1, maximum: 100_000 };

const textPart: SchemaObject = {
  type: 'object',
  required: ['type', 'body', 'format'],
  properties: {
    type: { const: 'text' },
    body: text(65_536),
    format: { type: 'string', enum: ['plain', 'markdown-wa'] },
  },
};

const attachmentPart: SchemaObject = {
  type: 'object',
  required: ['type', 'kind', 'mediaId', 'key', 'digest', 'size', 'mimeType'],
  properties: {
    type: { const: 'attachment' },
    kind: { type: 'string', enum: ['image', 'video', 'audio', 'voice', 'file', 'sticker'] },
    mediaId: opaqueId,
    key: { ...base64, minLength: 44, maxLength: 44 },
    digest: { ...base64, minLength: 44, maxLength: 44 },
    size: { type: 'integer', minimum: 0 },
    mimeType: { type: 'string', pattern: '^[\\w.+-]+/[\\w.+-]+$', maxLength: 255 },
    fileName: text(255),
    caption: text(65_536),
    durationMs: { type: 'integer', minimum: 0 },
    waveform: { type: 'array', maxItems: 4096, items: { type: 'integer', minimum: 0, maximum: 1023 } },
    width: dimension,
    height: dimension,
  },
};

const locationPart: SchemaObject = {
  type: 'object',
  required: ['type', 'latitude', 'longitude'],
  properties: {
    type: { const: 'location' },
    latitude: { type: 'number', minimum: -90, maximum: 90 },
    longitude: { type: 'number', minimum: -180, maximum: 180 },
    name: text(1024),
    address: text(1024),
  },
};

const hopTrail: SchemaObject = {
  type: 'array',
  maxItems: 32,
  items: {
    type: 'object',
    required: ['from', 'to', 'protection'],
    properties: {
      from: text(256),
      to: text(256),
      protection: { type: 'string', enum: ['e2e-signal', 'e2e-megolm', 'transport', 'none'] },
      plaintextAt: { type: 'array', maxItems: 32, items: text(256) },
    },
  },
};

const base = { messageId: opaqueId, timestamp, hopTrail };

export const CONTENT_SCHEMA: SchemaObject = {
  type: 'object',
  discriminator: { propertyName: 'kind' },
  required: ['kind'],
  oneOf: [
    {
      type: 'object',
      required: ['kind', 'messageId', 'timestamp', 'parts'],
      properties: {
        ...base,
        kind: { const: 'message' },
        parts: {
          type: 'array',
          maxItems: 32,
          items: {
            type: 'object',
            discriminator: { propertyName: 'type' },
            required: ['type'],
            oneOf: [textPart, attachmentPart, locationPart],
          },
        },
        inReplyTo: opaqueId,
        replaces: opaqueId,
      },
    },
    {
      type: 'object',
      required: ['kind', 'messageId', 'timestamp', 'target', 'emoji'],
      properties: { ...base, kind: { const: 'reaction' }, target: opaqueId, emoji: text(64) },
    },
    {
      type: 'object',
      required: ['kind', 'messageId', 'timestamp', 'original'],
      properties: { ...base, kind: { const: 'unsupported' }, original: text(128), fallbackText: text(65_536) },
    },
  ],
};
