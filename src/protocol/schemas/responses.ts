/** JSON schemas of every result (by request type) and every event's `data` (types in ../frames.ts).
 *  Clients use them so that a broken or hostile gateway yields an error, never a crash. */
import type { SchemaObject } from 'ajv';
import type { EventName, RequestType } from '../frames';
import { MAX_ACKS_PER_REQUEST } from '../envelope-acks';
import { ERROR_CODES, PROTOCOL_VERSIONS } from '../frames';
import {
  base64, ciphertextType, deviceAddress, deviceAttributes, deviceId, messageIds, obj, oneTimePreKey,
  opaqueId, phone, providerId, receiptStatus, shortBase64, signedPreKey, timestamp,
} from './common';
import { GROUP_PAYLOAD_SCHEMAS, GROUP_RESULT_SCHEMAS } from './groups';

const count: SchemaObject = { type: 'integer', minimum: 0 };
const empty = obj({});

const limits = obj({
  maxFrameBytes: count,
  maxMediaBytes: count,
  preKeyLowWater: count,
  maxOneTimePreKeysPerUpload: count,
  deliveryWindow: count,
});

const preKeyBundle = obj(
  { identityKey: shortBase64, signedPreKey, kyberPreKey: signedPreKey, oneTimePreKey },
  ['identityKey', 'signedPreKey', 'kyberPreKey'],
);

const profile = obj(
  { phone, provider: providerId, displayName: { type: 'string' }, avatarMediaId: opaqueId },
  ['phone', 'provider'],
);

export const RESULT_SCHEMAS: Record<RequestType, SchemaObject> = {
  hello: obj({
    provider: providerId,
    e2ee: { type: 'boolean' },
    protocolVersion: { type: 'integer', enum: [...PROTOCOL_VERSIONS] },
    serverTime: timestamp,
    devMode: { type: 'boolean' },
    limits,
  }),
  ping: obj({ serverTime: timestamp }),
  'account.register_request': obj(
    { phone, expiresAt: timestamp, devCode: { type: 'string' } },
    ['phone', 'expiresAt'],
  ),
  'account.register_confirm': obj({ phone, provider: providerId, created: { type: 'boolean' } }),
  'account.unregister': empty,
  'device.register': obj({ deviceId }),
  'device.remove': empty,
  'device.list': obj({
    devices: {
      type: 'array',
      items: obj({ deviceId, attributes: deviceAttributes, oneTimePreKeyCount: count }),
    },
  }),
  'device.subscribe': obj({ queued: count, window: { type: 'integer', minimum: 1 } }, ['queued']),
  'device.unsubscribe': empty,
  'keys.upload': obj({ oneTimePreKeyCount: count, oneTimeKyberPreKeyCount: count }),
  'keys.fetch': obj({
    phone,
    provider: providerId,
    e2ee: { type: 'boolean' },
    devices: {
      type: 'array',
      items: obj(
        { deviceId, registrationId: count, attributes: deviceAttributes, bundle: preKeyBundle },
        ['deviceId', 'registrationId', 'attributes'],
      ),
    },
  }),
  'message.submit': obj({ serverTimestamp: timestamp, duplicate: { type: 'boolean' } }),
  'envelope.ack': obj({ removed: { type: 'boolean' } }),
  // the length must match the request's envelopeIds: checked by the client, which knows it
  'envelope.ack_many': obj({ removed: { type: 'array', items: { type: 'boolean' }, minItems: 1, maxItems: MAX_ACKS_PER_REQUEST } }),
  'signal.send': obj({ serverTimestamp: timestamp, devices: count }),
  'media.upload': obj({ mediaId: opaqueId, size: count, digest: base64 }),
  'media.download': obj({ mediaId: opaqueId, size: count, data: base64 }),
  'profile.set': profile,
  'profile.get': profile,
  'blocklist.set': obj({ blocked: { type: 'array', items: phone } }),
  'blocklist.get': obj({ blocked: { type: 'array', items: phone } }),
  'providers.list': obj({
    providers: {
      type: 'array',
      items: obj({ id: providerId, e2ee: { type: 'boolean' }, displayName: { type: 'string', maxLength: 64 } }, ['id', 'e2ee']),
    },
  }),
  ...GROUP_RESULT_SCHEMAS,
};

const sender = obj({
  phone,
  deviceId,
  provider: providerId,
  bridged: { type: 'boolean' },
  e2ee: { type: 'boolean' },
});

const envelopePayload: SchemaObject = {
  type: 'object',
  discriminator: { propertyName: 'kind' },
  required: ['kind'],
  oneOf: [
    obj({ kind: { const: 'message' }, clientMessageId: opaqueId, type: ciphertextType, body: base64 }),
    obj({ kind: { const: 'status' }, status: receiptStatus, messageIds }),
    ...GROUP_PAYLOAD_SCHEMAS,
  ],
};

export const EVENT_SCHEMAS: Record<EventName, SchemaObject> = {
  envelope: obj({
    recipient: deviceAddress,
    envelopeId: opaqueId,
    sender,
    serverTimestamp: timestamp,
    payload: envelopePayload,
  }),
  typing: obj({
    recipient: deviceAddress,
    sender,
    state: { type: 'string', enum: ['started', 'stopped'] },
    serverTimestamp: timestamp,
  }),
  'keys.low': obj({
    device: deviceAddress,
    oneTimePreKeyCount: count,
    oneTimeKyberPreKeyCount: count,
    lowWater: count,
  }),
  'subscription.ended': obj({
    device: deviceAddress,
    reason: { type: 'string', enum: ['replaced', 'device_removed', 'account_removed'] },
  }),
};

export const ERROR_BODY_SCHEMA = obj(
  {
    code: { type: 'string', enum: [...ERROR_CODES] },
    message: { type: 'string' },
    field: { type: 'string' },
    details: { type: 'object' },
  },
  ['code', 'message'],
);
