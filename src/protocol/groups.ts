/**
 * Groups, version 2 of the interop protocol (docs/interop-protocol.md §17): the group state the
 * gateway keeps, the requests that change it, and the envelope payloads that carry group
 * messages, sender keys and membership changes. Types only; schemas in schemas/groups.ts.
 */
import type { Base64, DeviceAddress, Phone } from './frames';

/** The first protocol version with groups; a connection that said `v: 1` in hello has none. */
export const GROUPS_VERSION = 2;
/** Most members one group may have (group.create and group.add refuse more: group_full). */
export const MAX_GROUP_MEMBERS = 256;
/** Longest group name, in Unicode code points. */
export const MAX_GROUP_NAME = 128;

export interface GroupMember {
  phone: Phone;
  /** the member's provider, and whether it has end-to-end encryption: every member sees who
   *  in the group exchanges plaintext with the gateway */
  provider: string;
  e2ee: boolean;
  admin: boolean;
  /** at least one of the member's devices sits behind a bridge (plaintext on a bridge host) */
  bridged: boolean;
  /** the member's current device IDs, ascending: whom a sender key must reach */
  devices: number[];
}

export interface GroupInfo {
  /** chosen by the gateway: 22 characters of URL-safe base64 (128 random bits) */
  groupId: string;
  name: string;
  avatarMediaId?: string;
  /** +1 on every change of membership or metadata; events carry the revision they produced */
  revision: number;
  createdBy: Phone;
  createdAt: number;
  /** in the order they joined (the creator first) */
  members: GroupMember[];
}

export interface GroupResult {
  group: GroupInfo;
}

export interface GroupCreateParams {
  /** the creating device; its account becomes the group's first admin */
  from: DeviceAddress;
  name: string;
  /** a media ID, uploaded unencrypted like a profile avatar (§10) */
  avatarMediaId?: string;
  /** accounts added at once, besides the creator */
  members?: Phone[];
}
export interface GroupGetParams {
  /** a member asking */
  phone: Phone;
  groupId: string;
}
export interface GroupListParams {
  phone: Phone;
}
export interface GroupListResult {
  /** every group the account is a member of, by groupId */
  groups: GroupInfo[];
}
export interface GroupUpdateParams {
  from: DeviceAddress;
  groupId: string;
  /** absent: unchanged */
  name?: string;
  /** absent: unchanged; null: removed */
  avatarMediaId?: string | null;
}
export interface GroupMembersParams {
  from: DeviceAddress;
  groupId: string;
  members: Phone[];
}
export interface GroupLeaveParams {
  from: DeviceAddress;
  groupId: string;
}
export interface GroupRoleParams {
  from: DeviceAddress;
  groupId: string;
  member: Phone;
}

/** A sender key (libsignal SenderKeyDistributionMessage) for one member device, inside that
 *  device's pairwise Signal session. */
export interface GroupKeyCiphertext {
  phone: Phone;
  deviceId: number;
  type: 'prekey' | 'whisper';
  body: Base64;
}
export interface GroupDistributeParams {
  from: DeviceAddress;
  groupId: string;
  messages: GroupKeyCiphertext[];
}
export interface GroupDistributeResult {
  serverTimestamp: number;
  devices: number;
}

export interface GroupSubmitParams {
  from: DeviceAddress;
  groupId: string;
  /** unique per sender account, shared with message.submit (idempotency) */
  clientMessageId: string;
  /** libsignal SenderKeyMessage of the content, for every other member with e2ee */
  ciphertext?: Base64;
  /** base64 of the UTF-8 content JSON, for members without e2ee (or from a sender without) */
  plaintext?: Base64;
  /** the devices `ciphertext` is for: exactly the devices of every other member with e2ee,
   *  each of which was sent the sender key it uses (else stale_devices) */
  devices?: DeviceAddress[];
}

export interface GroupStaleDevicesDetails {
  missing: DeviceAddress[];
  extra: DeviceAddress[];
}

export type GroupAction = 'created' | 'added' | 'removed' | 'left' | 'updated' | 'promoted' | 'demoted';

export interface GroupChange {
  action: GroupAction;
  /** the account that made the change */
  actor: Phone;
  /** the accounts added, removed, promoted or demoted; the leaver for `left`; empty otherwise */
  members: Phone[];
  /** `updated`: which metadata changed */
  fields?: Array<'name' | 'avatar'>;
  /** `left` by the last admin: the member who became admin in the same revision */
  promoted?: Phone[];
}

export interface EnvelopeGroupMessagePayload {
  kind: 'group_message';
  groupId: string;
  clientMessageId: string;
  type: 'senderkey' | 'plaintext';
  body: Base64;
}
export interface EnvelopeGroupKeyPayload {
  kind: 'group_key';
  groupId: string;
  type: 'prekey' | 'whisper';
  body: Base64;
}
export interface EnvelopeGroupUpdatePayload {
  kind: 'group_update';
  groupId: string;
  change: GroupChange;
  /** the group after the change (for a member removed or leaving: without them) */
  group: GroupInfo;
}
export type EnvelopeGroupPayload = EnvelopeGroupMessagePayload | EnvelopeGroupKeyPayload | EnvelopeGroupUpdatePayload;

export function isGroupPayload(payload: { kind: string }): payload is EnvelopeGroupPayload {
  return payload.kind === 'group_message' || payload.kind === 'group_key' || payload.kind === 'group_update';
}

export interface GroupRequestMap {
  'group.create': { params: GroupCreateParams; result: GroupResult };
  'group.get': { params: GroupGetParams; result: GroupResult };
  'group.list': { params: GroupListParams; result: GroupListResult };
  'group.update': { params: GroupUpdateParams; result: GroupResult };
  'group.add': { params: GroupMembersParams; result: GroupResult };
  'group.remove': { params: GroupMembersParams; result: GroupResult };
  'group.leave': { params: GroupLeaveParams; result: GroupResult };
  'group.promote': { params: GroupRoleParams; result: GroupResult };
  'group.demote': { params: GroupRoleParams; result: GroupResult };
  'group.distribute': { params: GroupDistributeParams; result: GroupDistributeResult };
  'group.submit': { params: GroupSubmitParams; result: { serverTimestamp: number; duplicate: boolean } };
}

export const GROUP_REQUEST_TYPES = [
  'group.create', 'group.get', 'group.list', 'group.update', 'group.add', 'group.remove', 'group.leave',
  'group.promote', 'group.demote', 'group.distribute', 'group.submit',
] as const satisfies readonly (keyof GroupRequestMap)[];
