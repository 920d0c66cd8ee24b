/**
 * Wire frames of the interop protocol, version 1 (see docs/interop-protocol.md).
 *
 * Transport: one WebSocket per provider connection, one JSON object per text message.
 * Binary values (keys, signatures, ciphertexts, media) are base64 (standard alphabet, padded).
 *
 * Three shapes travel:
 *  - RequestFrame  client → gateway  `{ v, id, type, params }`
 *  - ResultFrame / ErrorFrame  gateway → client, carrying the request's `id`
 *  - EventFrame    gateway → client, unsolicited (`type: 'event'`)
 *
 * This file holds types only (plus a few constants); errors, events and the key directory's
 * types are in frame-errors.ts, frame-events.ts and frame-keys.ts (re-exported here);
 * validation lives in validate.ts.
 */

import type { ErrorFrame } from './frame-errors';
import type { EventFrame } from './frame-events';

import type { AckRequestMap } from './envelope-acks';
import type { DeviceAttributes, DeviceKeys, KeysFetchParams, KeysFetchResult, KeysUploadParams, KeysUploadResult } from './frame-keys';
import type { GroupRequestMap } from './groups';
import { GROUP_REQUEST_TYPES } from './groups';

/** Version 1: everything but groups. Frames of a version-1 connection carry `"v": 1`. */
export const PROTOCOL_VERSION = 1;
/** Every version this code speaks; a connection's version is the `v` of its hello (§3). */
export const PROTOCOL_VERSIONS = [1, 2] as const;
export type ProtocolVersion = (typeof PROTOCOL_VERSIONS)[number];
/** The newest version: 2 adds groups (groups.ts, §17). */
export const LATEST_PROTOCOL_VERSION: ProtocolVersion = 2;

/** Largest device ID the gateway assigns; libsignal accepts 1..127. */
export const MAX_DEVICE_ID = 127;

/** E.164 phone number, e.g. "+4915112345678". The gateway checks the shape `^\+[1-9][0-9]{6,14}$`. */
export type Phone = string;
/** base64 (standard alphabet with padding) of binary data. */
export type Base64 = string;

export interface DeviceAddress {
  phone: Phone;
  deviceId: number;
}

// ---------------------------------------------------------------------------------------------
// Requests (params) and their results

export interface HelloParams {
  provider: string;
  secret: string;
}
export interface HelloResult {
  provider: string;
  /** whether this provider's accounts use end-to-end encryption */
  e2ee: boolean;
  protocolVersion: ProtocolVersion;
  serverTime: number;
  devMode: boolean;
  limits: GatewayLimits;
}
export interface GatewayLimits {
  maxFrameBytes: number;
  maxMediaBytes: number;
  /** the gateway sends `keys.low` when a device's one-time prekeys drop below this */
  preKeyLowWater: number;
  maxOneTimePreKeysPerUpload: number;
  /** at most this many envelopes are pushed to a device before it acknowledges some */
  deliveryWindow: number;
}

export interface RegisterRequestParams {
  phone: Phone;
}
export interface RegisterRequestResult {
  phone: Phone;
  /** when the code stops working (ms since the epoch) */
  expiresAt: number;
  /** development mode only: the one-time code. Never present in production mode. */
  devCode?: string;
}

export interface RegisterConfirmParams {
  phone: Phone;
  code: string;
}
export interface RegisterConfirmResult {
  phone: Phone;
  provider: string;
  /** false when the account already existed (re-verification); its devices are kept */
  created: boolean;
}

export interface UnregisterParams {
  phone: Phone;
}
export type EmptyResult = Record<string, never>;

export interface DeviceRegisterParams {
  phone: Phone;
  /** Signal registration ID, 1..16380 */
  registrationId: number;
  attributes: DeviceAttributes;
  /** required for providers with e2ee, forbidden for providers without */
  keys?: DeviceKeys;
}
export interface DeviceRegisterResult {
  deviceId: number;
}

export interface DeviceRemoveParams {
  phone: Phone;
  deviceId: number;
}

export interface DeviceListParams {
  phone: Phone;
}
export interface DeviceListResult {
  devices: { deviceId: number; attributes: DeviceAttributes; oneTimePreKeyCount: number }[];
}

export interface DeviceParams {
  phone: Phone;
  deviceId: number;
}
export interface SubscribeParams extends DeviceParams {
  /** at most this many envelopes from one sender pushed and not yet acknowledged (the gateway
   *  uses the smaller of this and its `deliveryWindow`); absent, the gateway's `deliveryWindow` */
  window?: number;
}
export interface SubscribeResult {
  /** envelopes waiting for this device; they follow as `envelope` events, oldest first */
  queued: number;
  /** the window in use, when the request named one */
  window?: number;
}

/** `prekey` / `whisper`: libsignal PreKeySignalMessage / SignalMessage.
 *  `plaintext`: base64 of the UTF-8 content JSON, only to or from a provider without e2ee. */
export type CiphertextType = 'prekey' | 'whisper' | 'plaintext';

export interface DeviceCiphertext {
  deviceId: number;
  type: CiphertextType;
  body: Base64;
}

export interface SubmitParams {
  from: DeviceAddress;
  to: Phone;
  /** chosen by the sender, unique per sender account; a resubmission with the same ID is
   *  accepted once (idempotent). Convention: the content's messageId. */
  clientMessageId: string;
  /** exactly one per device of the recipient account (see `stale_devices`) */
  messages: DeviceCiphertext[];
}
export interface SubmitResult {
  serverTimestamp: number;
  /** true when this clientMessageId had already been accepted; nothing was queued again */
  duplicate: boolean;
}

export interface AckParams {
  phone: Phone;
  deviceId: number;
  envelopeId: string;
}
export interface AckResult {
  /** false when the envelope was already gone (acknowledged before) */
  removed: boolean;
}

/** MIMI delivery-status values (draft-ietf-mimi-content, "status" codes). */
export const MIMI_STATUS_CODES = {
  unread: 0,
  delivered: 1,
  read: 2,
  expired: 3,
  deleted: 4,
  hidden: 5,
  error: 6,
} as const;
export type ReceiptStatus = 'delivered' | 'read';

export interface TypingSignal {
  kind: 'typing';
  state: 'started' | 'stopped';
}
export interface StatusSignal {
  kind: 'status';
  status: ReceiptStatus;
  /** the content messageIds (= clientMessageIds) this status is about */
  messageIds: string[];
}
export type Signal = TypingSignal | StatusSignal;

export interface SignalSendParams {
  from: DeviceAddress;
  to: Phone;
  signal: Signal;
}
export interface SignalSendResult {
  serverTimestamp: number;
  /** typing: devices it was pushed to right now; status: devices it was queued for */
  devices: number;
}

export interface MediaUploadParams {
  /** the encrypted blob; the gateway never sees media keys */
  data: Base64;
}
export interface MediaUploadResult {
  mediaId: string;
  /** bytes stored: the blob as uploaded, not the plaintext an attachment part's `size` names */
  size: number;
  /** base64 SHA-256 of the stored bytes */
  digest: Base64;
}

export interface MediaDownloadParams {
  mediaId: string;
}
export interface MediaDownloadResult {
  mediaId: string;
  size: number;
  data: Base64;
}

export interface ProfileSetParams {
  phone: Phone;
  /** null clears it, absent leaves it unchanged */
  displayName?: string | null;
  avatarMediaId?: string | null;
}
export interface ProfileGetParams {
  phone: Phone;
}
export interface Profile {
  phone: Phone;
  provider: string;
  displayName?: string;
  avatarMediaId?: string;
}

/** Most numbers one account may block (blocklist.set refuses a longer list). */
export const MAX_BLOCKLIST = 1000;

export interface BlocklistSetParams {
  /** the blocking account (own provider only) */
  phone: Phone;
  /** the whole list, replacing the one stored: E.164 numbers, no duplicates, at most MAX_BLOCKLIST */
  blocked: Phone[];
}
export interface BlocklistGetParams {
  phone: Phone;
}
export interface BlocklistResult {
  /** the stored list, sorted */
  blocked: Phone[];
}

/** providers.list takes nothing: the answer is the same for every provider asking. */
export type ProvidersListParams = Record<string, never>;
export interface ProviderInfo {
  id: string;
  /** false: the provider's accounts exchange plaintext content (no end-to-end encryption) */
  e2ee: boolean;
  /** a name to show people, when the operator configured one */
  displayName?: string;
}
export interface ProvidersListResult {
  /** every provider the gateway is configured with, sorted by id */
  providers: ProviderInfo[];
}

export type PingParams = Record<string, never>;
export interface PingResult {
  serverTime: number;
}

/** Every request type: its params and its result. */
export interface RequestMap extends GroupRequestMap, AckRequestMap {
  hello: { params: HelloParams; result: HelloResult };
  ping: { params: PingParams; result: PingResult };
  'account.register_request': { params: RegisterRequestParams; result: RegisterRequestResult };
  'account.register_confirm': { params: RegisterConfirmParams; result: RegisterConfirmResult };
  'account.unregister': { params: UnregisterParams; result: EmptyResult };
  'device.register': { params: DeviceRegisterParams; result: DeviceRegisterResult };
  'device.remove': { params: DeviceRemoveParams; result: EmptyResult };
  'device.list': { params: DeviceListParams; result: DeviceListResult };
  'device.subscribe': { params: SubscribeParams; result: SubscribeResult };
  'device.unsubscribe': { params: DeviceParams; result: EmptyResult };
  'keys.upload': { params: KeysUploadParams; result: KeysUploadResult };
  'keys.fetch': { params: KeysFetchParams; result: KeysFetchResult };
  'message.submit': { params: SubmitParams; result: SubmitResult };
  'envelope.ack': { params: AckParams; result: AckResult };
  'signal.send': { params: SignalSendParams; result: SignalSendResult };
  'media.upload': { params: MediaUploadParams; result: MediaUploadResult };
  'media.download': { params: MediaDownloadParams; result: MediaDownloadResult };
  'profile.set': { params: ProfileSetParams; result: Profile };
  'profile.get': { params: ProfileGetParams; result: Profile };
  'blocklist.set': { params: BlocklistSetParams; result: BlocklistResult };
  'blocklist.get': { params: BlocklistGetParams; result: BlocklistResult };
  'providers.list': { params: ProvidersListParams; result: ProvidersListResult };
}
export type RequestType = keyof RequestMap;
export type RequestParams<T extends RequestType> = RequestMap[T]['params'];
export type RequestResult<T extends RequestType> = RequestMap[T]['result'];

export const REQUEST_TYPES = [
  'hello', 'ping',
  'account.register_request', 'account.register_confirm', 'account.unregister',
  'device.register', 'device.remove', 'device.list', 'device.subscribe', 'device.unsubscribe',
  'keys.upload', 'keys.fetch',
  'message.submit', 'envelope.ack', 'envelope.ack_many', 'signal.send',
  'media.upload', 'media.download',
  'profile.set', 'profile.get',
  'blocklist.set', 'blocklist.get',
  'providers.list',
  ...GROUP_REQUEST_TYPES,
] as const satisfies readonly RequestType[];

/** A client request; `id` is chosen by the client and echoed in the answer. */
export type RequestFrame<T extends RequestType = RequestType> = {
  [K in T]: { v: ProtocolVersion; id: string; type: K; params: RequestParams<K> };
}[T];

export interface ResultFrame<T extends RequestType = RequestType> {
  v: ProtocolVersion;
  id: string;
  type: 'result';
  result: RequestResult<T>;
}

export * from './frame-errors';
export * from './frame-events';
export * from './frame-keys';
export * from './envelope-acks';
export * from './groups';

/** Anything the gateway sends. */
export type GatewayFrame = ResultFrame | ErrorFrame | EventFrame;
