/** JSON schemas of the group requests, results and envelope payloads (types in ../groups.ts). */
import type { SchemaObject } from 'ajv';
import { GROUP_REQUEST_TYPES, MAX_GROUP_MEMBERS, MAX_GROUP_NAME } from '../groups';
import { base64, deviceAddress, deviceId, obj, opaqueId, phone, providerId, timestamp } from './common';

type GroupRequestType = (typeof GROUP_REQUEST_TYPES)[number];

/** what the gateway hands out: 128 random bits as unpadded URL-safe base64 */
export const groupId: SchemaObject = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]{1,64}$' };
const groupName: SchemaObject = { type: 'string', minLength: 1, maxLength: MAX_GROUP_NAME };
const phones = (minItems: number): SchemaObject => ({ type: 'array', items: phone, minItems, maxItems: MAX_GROUP_MEMBERS, uniqueItems: true });
const deviceAddresses: SchemaObject = { type: 'array', items: deviceAddress, maxItems: MAX_GROUP_MEMBERS * 127 };
const count: SchemaObject = { type: 'integer', minimum: 0 };

export const GROUP_PARAM_SCHEMAS: Record<GroupRequestType, SchemaObject> = {
  'group.create': obj({ from: deviceAddress, name: groupName, avatarMediaId: opaqueId, members: phones(0) }, ['from', 'name']),
  'group.get': obj({ phone, groupId }),
  'group.list': obj({ phone }),
  'group.update': obj(
    { from: deviceAddress, groupId, name: groupName, avatarMediaId: { anyOf: [opaqueId, { type: 'null' }] } },
    ['from', 'groupId'],
  ),
  'group.add': obj({ from: deviceAddress, groupId, members: phones(1) }),
  'group.remove': obj({ from: deviceAddress, groupId, members: phones(1) }),
  'group.leave': obj({ from: deviceAddress, groupId }),
  'group.promote': obj({ from: deviceAddress, groupId, member: phone }),
  'group.demote': obj({ from: deviceAddress, groupId, member: phone }),
  'group.distribute': obj({
    from: deviceAddress,
    groupId,
    messages: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_GROUP_MEMBERS * 127,
      items: obj({ phone, deviceId, type: { type: 'string', enum: ['prekey', 'whisper'] }, body: base64 }),
    },
  }),
  'group.submit': obj(
    { from: deviceAddress, groupId, clientMessageId: opaqueId, ciphertext: base64, plaintext: base64, devices: deviceAddresses },
    ['from', 'groupId', 'clientMessageId'],
  ),
};

const member = obj({
  phone,
  provider: providerId,
  e2ee: { type: 'boolean' },
  admin: { type: 'boolean' },
  bridged: { type: 'boolean' },
  devices: { type: 'array', items: deviceId, maxItems: 127 },
});

export const groupInfo = obj(
  {
    groupId,
    name: groupName,
    avatarMediaId: opaqueId,
    revision: count,
    createdBy: phone,
    createdAt: timestamp,
    members: { type: 'array', items: member, maxItems: MAX_GROUP_MEMBERS },
  },
  ['groupId', 'name', 'revision', 'createdBy', 'createdAt', 'members'],
);
const groupResult = obj({ group: groupInfo });

export const GROUP_RESULT_SCHEMAS: Record<GroupRequestType, SchemaObject> = {
  'group.create': groupResult,
  'group.get': groupResult,
  'group.list': obj({ groups: { type: 'array', items: groupInfo } }),
  'group.update': groupResult,
  'group.add': groupResult,
  'group.remove': groupResult,
  'group.leave': groupResult,
  'group.promote': groupResult,
  'group.demote': groupResult,
  'group.distribute': obj({ serverTimestamp: timestamp, devices: count }),
  'group.submit': obj({ serverTimestamp: timestamp, duplicate: { type: 'boolean' } }),
};

const change = obj(
  {
    action: { type: 'string', enum: ['created', 'added', 'removed', 'left', 'updated', 'promoted', 'demoted'] },
    actor: phone,
    members: { type: 'array', items: phone, maxItems: MAX_GROUP_MEMBERS },
    fields: { type: 'array', items: { type: 'string', enum: ['name', 'avatar'] }, maxItems: 2 },
    promoted: { type: 'array', items: phone, maxItems: MAX_GROUP_MEMBERS },
  },
  ['action', 'actor', 'members'],
);

/** the `oneOf` branches the envelope payload schema adds for groups */
export const GROUP_PAYLOAD_SCHEMAS: SchemaObject[] = [
  obj({ kind: { const: 'group_message' }, groupId, clientMessageId: opaqueId, type: { type: 'string', enum: ['senderkey', 'plaintext'] }, body: base64 }),
  obj({ kind: { const: 'group_key' }, groupId, type: { type: 'string', enum: ['prekey', 'whisper'] }, body: base64 }),
  obj({ kind: { const: 'group_update' }, groupId, change, group: groupInfo }),
];
