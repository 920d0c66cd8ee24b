/** JSON schemas of every request's `params` (types in ../frames.ts). */
import type { SchemaObject } from 'ajv';
import { MAX_ACKS_PER_REQUEST } from '../envelope-acks';
import { MAX_BLOCKLIST, type RequestType } from '../frames';
import {
  base64, ciphertextType, deviceAddress, deviceAttributes, deviceId, messageIds, obj, oneTimePreKey,
  opaqueId, phone, providerId, receiptStatus, shortBase64, signedPreKey,
} from './common';
import { GROUP_PARAM_SCHEMAS } from './groups';

/** Upper bound of one-time prekeys in a single upload or registration. */
export const MAX_PREKEYS_PER_UPLOAD = 200;

const oneTimePreKeys: SchemaObject = { type: 'array', items: oneTimePreKey, maxItems: MAX_PREKEYS_PER_UPLOAD };
const oneTimeKyberPreKeys: SchemaObject = { type: 'array', items: signedPreKey, maxItems: MAX_PREKEYS_PER_UPLOAD };

const deviceKeys = obj(
  { identityKey: shortBase64, signedPreKey, kyberPreKey: signedPreKey, oneTimePreKeys, oneTimeKyberPreKeys },
  ['identityKey', 'signedPreKey', 'kyberPreKey'],
);

const nullableString = (maxLength: number): SchemaObject => ({
  anyOf: [{ type: 'string', minLength: 1, maxLength }, { type: 'null' }],
});

const signal: SchemaObject = {
  type: 'object',
  discriminator: { propertyName: 'kind' },
  required: ['kind'],
  oneOf: [
    obj({ kind: { const: 'typing' }, state: { type: 'string', enum: ['started', 'stopped'] } }),
    obj({ kind: { const: 'status' }, status: receiptStatus, messageIds }),
  ],
};

export const REQUEST_PARAM_SCHEMAS: Record<RequestType, SchemaObject> = {
  hello: obj({ provider: providerId, secret: { type: 'string', minLength: 1, maxLength: 1024 } }),
  ping: obj({}),
  'account.register_request': obj({ phone }),
  'account.register_confirm': obj({ phone, code: { type: 'string', maxLength: 10, pattern: '^[0-9]{4,10}$' } }),
  'account.unregister': obj({ phone }),
  'device.register': obj(
    {
      phone,
      registrationId: { type: 'integer', minimum: 1, maximum: 16380 },
      attributes: deviceAttributes,
      keys: deviceKeys,
    },
    ['phone', 'registrationId', 'attributes'],
  ),
  'device.remove': obj({ phone, deviceId }),
  'device.list': obj({ phone }),
  'device.subscribe': obj({ phone, deviceId, window: { type: 'integer', minimum: 1, maximum: 1_000_000 } }, ['phone', 'deviceId']),
  'device.unsubscribe': obj({ phone, deviceId }),
  'keys.upload': obj(
    { phone, deviceId, signedPreKey, kyberPreKey: signedPreKey, oneTimePreKeys, oneTimeKyberPreKeys },
    ['phone', 'deviceId'],
  ),
  'keys.fetch': obj({ phone }),
  'message.submit': obj({
    from: deviceAddress,
    to: phone,
    clientMessageId: opaqueId,
    messages: {
      type: 'array',
      minItems: 1,
      maxItems: 127,
      items: obj({ deviceId, type: ciphertextType, body: base64 }),
    },
  }),
  'envelope.ack': obj({ phone, deviceId, envelopeId: opaqueId }),
  'envelope.ack_many': obj({
    phone,
    deviceId,
    envelopeIds: { type: 'array', items: opaqueId, minItems: 1, maxItems: MAX_ACKS_PER_REQUEST, uniqueItems: true },
  }),
  'signal.send': obj({ from: deviceAddress, to: phone, signal }),
  'media.upload': obj({ data: base64 }),
  'media.download': obj({ mediaId: opaqueId }),
  'profile.set': obj(
    { phone, displayName: nullableString(128), avatarMediaId: { anyOf: [opaqueId, { type: 'null' }] } },
    ['phone'],
  ),
  'profile.get': obj({ phone }),
  'blocklist.set': obj({ phone, blocked: { type: 'array', items: phone, maxItems: MAX_BLOCKLIST, uniqueItems: true } }),
  'blocklist.get': obj({ phone }),
  'providers.list': obj({}),
  ...GROUP_PARAM_SCHEMAS,
};
