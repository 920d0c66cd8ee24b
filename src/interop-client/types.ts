/** What the client library hands to its consumer (the bridge's connector or a simulated user). */
import type { Content } from '../protocol/content';
import type { GroupChange, GroupInfo, ReceiptStatus, SenderInfo } from '../protocol/frames';
import type { IdentityChangedEvent } from './signal/sessions';

export type { IdentityChangedEvent };

/** Something queued for this device. Call `ack()` once it is safely handled (e.g. stored);
 *  until then the gateway redelivers it after a reconnect. */
export interface Delivery {
  envelopeId: string;
  sender: SenderInfo;
  serverTimestamp: number;
  ack(): Promise<void>;
  /** gives the delivery back unacknowledged (the consumer could not handle it): the gateway's
   *  next redelivery of it (on the next subscription) is handed over again. No-op after ack. */
  release(): void;
}

export interface IncomingMessage extends Delivery {
  content: Content;
  /** false when the message crossed the network in plaintext (provider without e2ee) */
  encrypted: boolean;
  /** the sender's clientMessageId on the wire (by convention equal to content.messageId) */
  clientMessageId: string;
}

export interface IncomingStatus extends Delivery {
  status: ReceiptStatus;
  messageIds: string[];
}

/** Could not be decrypted or is not valid content. The consumer should tell the person that
 *  something arrived that cannot be shown; ack it afterwards or it blocks the queue. */
export interface UnreadableMessage extends Delivery {
  reason: 'decrypt_failed' | 'invalid_content';
  error: string;
  clientMessageId: string;
  /** it crossed the network Signal-encrypted (with invalid_content: and was decrypted) */
  encrypted: boolean;
  /** set for a group message (protocol version 2) */
  groupId?: string;
}

export interface IncomingTyping {
  sender: SenderInfo;
  state: 'started' | 'stopped';
  serverTimestamp: number;
}

export interface SendResult {
  serverTimestamp: number;
  /** the gateway had already accepted this messageId; nothing was queued again */
  duplicate: boolean;
  /** whether the message left this client Signal-encrypted */
  encrypted: boolean;
  /** recipient devices it was addressed to */
  deviceIds: number[];
}

export interface InteropClientEvents {
  message: [IncomingMessage];
  status: [IncomingStatus];
  typing: [IncomingTyping];
  unreadable: [UnreadableMessage];
  groupMessage: [IncomingGroupMessage];
  groupUpdate: [IncomingGroupUpdate];
  identityChanged: [IdentityChangedEvent];
  /** the gateway stopped sending this device's queue here (another connection took it over,
   *  or the device or account was removed); call start() again to take it back */
  subscriptionEnded: [{ reason: 'replaced' | 'device_removed' | 'account_removed' }];
  /** prekeys were uploaded after the gateway reported them low */
  preKeysRefilled: [{ oneTimePreKeyCount: number; oneTimeKyberPreKeyCount: number }];
  /** background work failed (prekey refill, a frame it could not read); never thrown.
   *  Not called 'error' so that an unheard one cannot crash the process. */
  warning: [Error];
}

/** A message in a group (protocol version 2), decrypted with its sender's sender key. */
export interface IncomingGroupMessage extends Delivery {
  groupId: string;
  content: Content;
  /** false when it crossed the network in plaintext (a member or the sender without e2ee) */
  encrypted: boolean;
  clientMessageId: string;
}

/** A change of a group's members or metadata, with the group as it is after the change. */
export interface IncomingGroupUpdate extends Delivery {
  groupId: string;
  change: GroupChange;
  group: GroupInfo;
}

export interface GroupSendResult {
  serverTimestamp: number;
  duplicate: boolean;
  /** a sender-key ciphertext went to the members with end-to-end encryption */
  encrypted: boolean;
  /** members who got the message in plaintext (their provider has no end-to-end encryption) */
  plaintextTo: string[];
}
