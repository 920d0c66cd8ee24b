/**
 * The boundary between the bridge's core and a remote network. No Matrix imports here:
 * a connector (the interop protocol now; a WhatsApp Web linked-device connector, say, later)
 * implements these interfaces, and core/ knows only them.
 *
 * Message content uses the MIMI-shaped `Content` of src/protocol/content.ts, which is
 * network-neutral: any connector can express its messages in it.
 */
import type { AttachmentPart, Content } from '../protocol/content';
import type { E164 } from './phone';
import type { LoginStart } from './login-steps';
import type { NetworkHopQuery, NetworkHops } from './network-hops';

export type { E164 };

/** What a connector persists about one Matrix user's login; opaque to core. */
export interface LoginState {
  phone: E164;
  /** connector-specific data (device ID and the like); never contains secrets in clear */
  data: Record<string, unknown>;
}

export interface RemoteProfile {
  displayName?: string;
  /** avatar bytes' reference on the network, fetched with downloadAvatar */
  avatarRef?: string;
}

/** What the network says about the sending device and its provider. */
export interface RemoteSender {
  provider: string;
  /** the sender's provider encrypts end to end */
  e2ee: boolean;
  /** the sending device declares that it sits behind a bridge */
  bridged: boolean;
}

export interface RemoteMessage {
  from: E164;
  sender: RemoteSender;
  content: Content;
  /** false when the message crossed the network in plaintext */
  encrypted: boolean;
  serverTimestamp: number;
}

export interface UnreadableRemoteMessage {
  from: E164;
  reason: string;
  serverTimestamp: number;
  /** the message crossed the network Signal-encrypted (whether or not it could be decrypted:
   *  the trail of the notice then still counts the bridge as a place of plaintext, never
   *  claiming more protection than the bridge can vouch for) */
  encrypted: boolean;
  /** what the network says about the sending device, as for a readable message */
  sender?: RemoteSender;
  /** the sender's message ID, when the envelope names one */
  messageId?: string;
}

/** Events a connected session hands to core. Each `ack` tells the network the event is
 *  safely handled; core calls it only after the Matrix side is written (or the room told why
 *  it cannot be). Each promise resolves when core is done with the event; an event not acked
 *  by then is given back to the connector, which hands it over again when the network
 *  redelivers it. The handlers never reject. */
export interface RemoteEventHandler {
  onMessage(message: RemoteMessage, ack: () => Promise<void>): Promise<void>;
  onUnreadable(message: UnreadableRemoteMessage, ack: () => Promise<void>): Promise<void>;
  onStatus(from: E164, status: 'delivered' | 'read', messageIds: string[], ack: () => Promise<void>): Promise<void>;
  onTyping(from: E164, typing: boolean): Promise<void>;
  /** the contact's identity key changed: the new safety number to compare, and a short
   *  fingerprint of the new key */
  onIdentityChanged(contact: E164, change: { safetyNumber: string; fingerprint: string }): Promise<void>;
  onConnectionChange(connected: boolean): void;
  /** whether `contact` is one the user chats with (not a stranger's first messages): a connector
   *  that queues inbound events may take such a contact's first, each contact's kept in order.
   *  Called per event as it arrives, so quick and synchronous; a throw costs the event only its place. */
  isEstablished?(contact: E164): boolean;
  /** the network ended this login for good (device removed, subscription taken over, account
   *  removed): no reconnect can bring it back; the person must log in again */
  onSessionEnded?(reason: SessionEndReason): void;
}

/** Why a login ended at the network's side. `auth_failed`: the network no longer accepts the
 *  stored credentials (keys missing, forbidden). */
export type SessionEndReason = 'device_removed' | 'replaced' | 'account_removed' | 'auth_failed';

/** One device of a contact and the safety number with its identity key. */
export interface DeviceIdentity {
  deviceId: number;
  safetyNumber: string;
  fingerprint: string;
}

/** A contact's identity: the keys of all of their current devices (each device has its own). */
export interface RemoteIdentity {
  /** the safety number of the contact's newest current device */
  safetyNumber: string;
  /** the contact's identity as one string: the fingerprint of every current device's key,
   *  in device order (one device: just its fingerprint) */
  fingerprint: string;
  /** every current device, in device order */
  devices?: DeviceIdentity[];
}

export interface SendResult {
  /** the network's timestamp for the message */
  serverTimestamp: number;
  encrypted: boolean;
  /** the ID the network gave the message, on a network that assigns its own; absent, the
   *  content's `messageId` (made by the bridge) is the network's ID as well. Core maps this
   *  ID to the Matrix event, so the network's later statuses, replies, edits and reactions
   *  naming it find the event. */
  messageId?: string;
}

/** What a network said to a block list: it now drops messages from those numbers itself, or
 *  it has no block lists (the bridge then only drops what arrives). */
export type BlockListOutcome = 'network' | 'unsupported';

/** One provider on the network, as the network describes it (for the user's choice of who may
 *  reach them). `id` is what RemoteSender.provider names. */
export interface RemoteProviderInfo {
  id: string;
  /** the provider encrypts end to end */
  e2ee: boolean;
  /** a name to show people, when the network has one */
  displayName?: string;
}

/** A Matrix user's connected session on the network. */
/**
 * What one chat of a network can carry. A field that is missing or true: supported. Core
 * refuses what a chat cannot carry before sending, and tells the room why, instead of sending
 * something the other side would drop or show wrongly.
 */
export interface ChatCapabilities {
  edits?: boolean;
  deletes?: boolean;
  reactions?: boolean;
  /** files, images, voice notes, video */
  media?: boolean;
}

export interface RemoteSession {
  readonly phone: E164;
  /** Optional capability: what the chat with `contact` can carry; absent, everything. */
  capabilities?(contact: E164): ChatCapabilities;
  /** `requireEndToEnd`: refuse (RemoteRefusedError, code `not_end_to_end`) rather than send
   *  to a contact who can only be reached in plaintext */
  send(to: E164, content: Content, options?: { requireEndToEnd?: boolean }): Promise<SendResult>;
  sendTyping(to: E164, typing: boolean): Promise<void>;
  sendReadStatus(to: E164, messageIds: string[]): Promise<void>;
  /** the "delivered" tick: the messages reached the user's Matrix room */
  sendDeliveredStatus(to: E164, messageIds: string[]): Promise<void>;
  uploadAttachment(bytes: Uint8Array, meta: Omit<AttachmentPart, 'type' | 'mediaId' | 'key' | 'digest' | 'size'>): Promise<AttachmentPart>;
  /** downloads, checks the digest and decrypts; throws on a tampered blob */
  downloadAttachment(part: AttachmentPart): Promise<Uint8Array>;
  fetchProfile(contact: E164): Promise<RemoteProfile>;
  /** publishes the user's own profile to the network (null clears a field); avatars are public */
  publishProfile(profile: { displayName: string | null; avatar: Uint8Array | null }): Promise<void>;
  /** the bytes of a profile avatar named by RemoteProfile.avatarRef */
  downloadAvatar(ref: string): Promise<Uint8Array>;
  /** the contact's identity key in use: the safety number to compare out of band, and a
   *  short fingerprint of the key; undefined while there is no Signal session with them */
  identity(contact: E164): Promise<RemoteIdentity | undefined>;
  /** Optional capability: hands the user's whole block list to the network, which then drops
   *  what those numbers send without telling them. Throws RemoteRefusedError when the
   *  network refuses the list for good, any other error when it may work later. */
  setBlockList?(blocked: readonly E164[]): Promise<BlockListOutcome>;
  /** Optional capability: every provider the network knows, sorted by id; 'unsupported' when
   *  the network cannot say (core then knows providers only from what they sent). Any error:
   *  it may work later. */
  listProviders?(): Promise<RemoteProviderInfo[] | 'unsupported'>;
  disconnect(): Promise<void>;
}

/** What core kept of a login in progress across a restart (see resumeLogin). */
export interface ResumedLogin {
  /** the id of the step the login was asking */
  readonly step: string;
  readonly answers: Readonly<Record<string, string>>;
}

/** The network as a whole: logging in and connecting sessions. */
export interface RemoteNetwork {
  /** short machine name, e.g. `interop`; used in m.bridge state */
  readonly id: string;
  /** human name, e.g. `Interop network` */
  readonly displayName: string;
  /** Login (src/network/login-steps.ts): starts a login for `userKey` and returns its first
   *  step. Core renders the steps (the bot, and the provisioning API for a login that is a
   *  phone number and then a code); the connector decides what they are. */
  beginLogin(userKey: string): Promise<LoginStart>;
  /** Optional: continues a login a restarted bridge had in progress, at step `saved.step`
   *  after the answers `saved.answers` (by field id; a code or password is never among them).
   *  `first` is that step (core asks it again), `process` goes on from there. Throws
   *  RemoteUnavailableError when the network is down for now (core tries again with the next
   *  answer), any other error when the login cannot be resumed (core ends it and says why).
   *  Without it, a restart loses a login in progress. */
  resumeLogin?(userKey: string, saved: ResumedLogin): Promise<LoginStart>;
  connect(userKey: string, login: LoginState, handler: RemoteEventHandler): Promise<RemoteSession>;
  /** Optional: the network's hops between the remote person's device and the bridge, for the
   *  hop trail of a message (src/network/network-hops.ts). Quick and synchronous: called for
   *  every bridged message. Core checks the answer; one it cannot use (or a throw) is read as
   *  plaintext at the network, with a warning. Absent: one relay named `remote_network`
   *  (labelled with displayName), end-to-end encrypted across it when the message was. */
  describeHops?(query: NetworkHopQuery): NetworkHops;
  /** removes the device and every key held for it; returns what was deleted, for the user */
  logout(userKey: string, login: LoginState): Promise<string[]>;
}

/** A login cannot connect and never will (see SessionEndReason): connect() throws this
 *  instead of a transient error, so core stops retrying and tells the person. */
export class SessionEndedError extends Error {
  constructor(message: string, readonly reason: SessionEndReason) {
    super(message);
    this.name = 'SessionEndedError';
  }
}

/** The network cannot be reached right now (transient): login steps throw this after a short
 *  wait instead of hanging, so the person gets an answer. */
export class RemoteUnavailableError extends Error {
  constructor(message = 'the network is not reachable right now') {
    super(message);
    this.name = 'RemoteUnavailableError';
  }
}

/** The network refused something for good (unknown recipient, say): retrying cannot help.
 *  Connectors throw this; core then tells the person instead of retrying. */
export class RemoteRefusedError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'RemoteRefusedError';
  }
}
