/** Events of the interop protocol: frames the gateway pushes without being asked. */
import type { Base64, CiphertextType, DeviceAddress, ProtocolVersion, ReceiptStatus } from './frames';
import type { EnvelopeGroupPayload } from './groups';

export interface SenderInfo extends DeviceAddress {
  provider: string;
  /** the sender's device sits behind a bridge */
  bridged: boolean;
  /** the sender's provider has end-to-end encryption */
  e2ee: boolean;
}

export interface EnvelopeMessagePayload {
  kind: 'message';
  clientMessageId: string;
  type: CiphertextType;
  body: Base64;
}
export interface EnvelopeStatusPayload {
  kind: 'status';
  status: ReceiptStatus;
  messageIds: string[];
}

/** A queued item for one device; it stays queued until `envelope.ack`. */
export interface EnvelopeEvent {
  recipient: DeviceAddress;
  /** opaque, unique; redeliveries carry the same ID */
  envelopeId: string;
  sender: SenderInfo;
  serverTimestamp: number;
  /** group payloads (version 2) are never pushed to a version-1 connection */
  payload: EnvelopeMessagePayload | EnvelopeStatusPayload | EnvelopeGroupPayload;
}

/** Transient: pushed only to devices subscribed at that moment, never queued. */
export interface TypingEvent {
  recipient: DeviceAddress;
  sender: SenderInfo;
  state: 'started' | 'stopped';
  serverTimestamp: number;
}

export interface KeysLowEvent {
  device: DeviceAddress;
  oneTimePreKeyCount: number;
  oneTimeKyberPreKeyCount: number;
  lowWater: number;
}

/** This connection no longer receives the device's queue (another connection subscribed it,
 *  or the device or account was removed). */
export interface SubscriptionEndedEvent {
  device: DeviceAddress;
  reason: 'replaced' | 'device_removed' | 'account_removed';
}

export interface EventMap {
  envelope: EnvelopeEvent;
  typing: TypingEvent;
  'keys.low': KeysLowEvent;
  'subscription.ended': SubscriptionEndedEvent;
}
export type EventName = keyof EventMap;

export type EventFrame<E extends EventName = EventName> = {
  [K in E]: { v: ProtocolVersion; type: 'event'; event: K; data: EventMap[K] };
}[E];

