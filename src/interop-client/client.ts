/**
 * InteropClient: one local account (phone number, one device) on the interop network.
 * Shared by the bridge's connector and the simulated users; knows nothing of Matrix.
 *
 * Lifecycle: requestCode → confirmCode → registerDevice (once; the device id is stored)
 * → start (subscribe, receive) → send… → stop.
 */
import { EventEmitter } from 'node:events';
import type { AttachmentPart, Content } from '../protocol/content';
import type {
  DeviceListResult, KeysLowEvent, KeysUploadResult, Profile, ProviderInfo, ReceiptStatus, RegisterConfirmResult,
  RegisterRequestResult, SubmitParams, SubscriptionEndedEvent, TypingEvent,
} from '../protocol/frames';
import { parseContent } from '../protocol/validate';
import type { InteropConnection } from './connection';
import { GroupApi } from './group-api';
import { GroupReceiver } from './group-receiver';
import { GroupSender } from './group-sender';
import { decryptAttachment, encryptAttachment } from './media';
import { InboundReceiver } from './receiver';
import { OutboundSender } from './sender';
import {
  ensureLocalIdentity, generateDeviceKeys, generateLastResortKyberPreKey, generateOneTimeKyberPreKeys,
  generateOneTimePreKeys, generateSignedPreKey,
} from './signal/keys';
import { SignalSessions } from './signal/sessions';
import type { SignalAccountStores } from './signal/stores';
import { fromBase64, toBase64 } from './sodium';
import type { InteropClientEvents, SendResult } from './types';

export interface InteropClientOptions {
  connection: InteropConnection;
  /** E.164 number of this local account */
  phone: string;
  stores: SignalAccountStores;
  /** published with the device: `bridged: true` tells peers that plaintext exists on a bridge */
  device?: { name?: string; bridged?: boolean };
  /** ack every delivery right after it is handed over (simulated users). The bridge leaves
   *  this off and calls `ack()` once the Matrix event and its ID mapping are stored. */
  autoAck?: boolean;
  /**
   * Keys are trusted on first use and changes accepted (as WhatsApp does); with this set, the
   * first send after a change of the recipient's key is refused with IdentityChangedError so
   * the application can warn first. The next send goes through.
   */
  holdOnIdentityChange?: boolean;
  /** the signed prekey and last-resort Kyber prekey are replaced at start() when older
   *  than this (default 7 days, like Signal's clients) */
  signedPreKeyMaxAgeMs?: number;
  /** one-time prekeys uploaded at registration and on each refill */
  preKeyBatch?: number;
  kyberPreKeyBatch?: number;
  /** envelopes of one sender the gateway may push before they are acknowledged (default
   *  DEFAULT_RECEIVE_WINDOW) */
  receiveWindow?: number;
}

/**
 * Every envelope pushed is held in memory (and decrypted, and queued behind the sender's
 * earlier ones) until it is handled and acknowledged, so the window bounds what one sender's
 * backlog costs: the gateway's own default (1,000 per sender) let three hostile contacts'
 * backlogs hold about 100 MB more in the bridge (the fuzz, 2026-12-08: backlog peak 421 → 319
 * MB with 64). A chat is handled one message at a time, so 64 keeps it busy with room to spare.
 */
export const DEFAULT_RECEIVE_WINDOW = 64;

/** rotated-out signed / last-resort prekeys kept for messages still in flight */
const KEEP_OLD_SIGNED_PREKEYS = 3;

export type AttachmentMeta = Omit<AttachmentPart, 'type' | 'mediaId' | 'key' | 'digest' | 'size'>;

export class InteropClient extends EventEmitter<InteropClientEvents> {
  readonly phone: string;
  private readonly conn: InteropConnection;
  private readonly stores: SignalAccountStores;
  private device: number | undefined;
  private sessions: SignalSessions | undefined;
  private sender: OutboundSender | undefined;
  private receiver: InboundReceiver | undefined;
  private groupApi: GroupApi | undefined;
  private refilling: Promise<void> | undefined;
  private preferredSender: (phone: string) => boolean = () => false;
  private get receiveWindow(): number {
    return this.options.receiveWindow ?? DEFAULT_RECEIVE_WINDOW;
  }
  private readonly onEnvelope = (ev: Parameters<InboundReceiver['enqueue']>[0]) => this.receiver?.enqueue(ev);
  private readonly onTyping = (ev: TypingEvent) => {
    if (ev.recipient.phone === this.phone && ev.recipient.deviceId === this.device) {
      this.emit('typing', { sender: ev.sender, state: ev.state, serverTimestamp: ev.serverTimestamp });
    }
  };
  private readonly onSubscriptionEnded = (ev: SubscriptionEndedEvent) => {
    if (ev.device.phone !== this.phone || ev.device.deviceId !== this.device) return;
    this.emit('subscriptionEnded', { reason: ev.reason });
  };
  private readonly onKeysLow = (ev: KeysLowEvent) => {
    if (ev.device.phone === this.phone && ev.device.deviceId === this.device) this.scheduleRefill();
  };

  constructor(private readonly options: InteropClientOptions) {
    super();
    this.phone = options.phone;
    this.conn = options.connection;
    this.stores = options.stores;
  }

  /**
   * Which senders' envelopes are processed before a backlog of others' (the contacts the
   * user chats with, against a flood from unknown numbers); each sender keeps its order.
   * Asked once per envelope as it arrives, so it must be quick.
   */
  preferSenders(preferred: (phone: string) => boolean): void {
    this.preferredSender = preferred;
  }

  get deviceId(): number | undefined {
    return this.device;
  }

  /** whether this account's provider uses end-to-end encryption (known once connected) */
  get e2ee(): boolean {
    const hello = this.conn.hello;
    if (!hello) throw new Error('not connected to the gateway');
    return hello.e2ee;
  }

  /** Loads the stored device id, if this account registered a device before. */
  async load(): Promise<number | undefined> {
    const state = await this.stores.local.load();
    this.device = state?.deviceId;
    return this.device;
  }

  requestCode(): Promise<RegisterRequestResult> {
    return this.conn.request('account.register_request', { phone: this.phone });
  }

  confirmCode(code: string): Promise<RegisterConfirmResult> {
    return this.conn.request('account.register_confirm', { phone: this.phone, code });
  }

  /** Registers this device (keys for e2ee providers, none otherwise) and stores its id. */
  async registerDevice(): Promise<number> {
    const e2ee = this.e2ee;
    const state = await ensureLocalIdentity(this.stores);
    const keys = e2ee
      ? await generateDeviceKeys(this.stores, {
          oneTimePreKeys: this.batchSize(),
          oneTimeKyberPreKeys: this.options.kyberPreKeyBatch ?? 10,
        })
      : undefined;
    const res = await this.conn.request('device.register', {
      phone: this.phone,
      registrationId: state.registrationId,
      attributes: { bridged: this.options.device?.bridged ?? false, ...(this.options.device?.name ? { name: this.options.device.name } : {}) },
      ...(keys ? { keys } : {}),
    });
    await this.stores.local.setDeviceId(res.deviceId);
    this.device = res.deviceId;
    return res.deviceId;
  }

  private batchSize(): number {
    const max = this.conn.hello?.limits.maxOneTimePreKeysPerUpload ?? 100;
    return Math.min(this.options.preKeyBatch ?? 100, max);
  }

  private requireDevice(): number {
    if (this.device === undefined) throw new Error(`${this.phone} has no registered device (call registerDevice or load)`);
    return this.device;
  }

  /** Subscribes the device's queue and starts handing over deliveries (again, if called twice). */
  async start(): Promise<{ queued: number }> {
    const deviceId = this.requireDevice();
    // Started already (e.g. after subscriptionEnded): just take the queue back.
    if (this.receiver) return this.conn.subscribe(this.phone, deviceId, this.receiveWindow);
    if (this.e2ee) {
      this.sessions = new SignalSessions(this.stores, this.phone, deviceId);
      this.sessions.on('identityChanged', (e) => this.emit('identityChanged', e));
    }
    this.sender = new OutboundSender(
      this.conn,
      () => ({ phone: this.phone, deviceId }),
      this.sessions,
      this.options.holdOnIdentityChange ?? false,
    );
    const address = () => ({ phone: this.phone, deviceId });
    const groupSender = new GroupSender(this.conn, address, this.stores, this.sessions ? this.sender : undefined);
    this.groupApi = new GroupApi(this.conn, address, groupSender);
    const groupReceiver = new GroupReceiver(this.sessions, this.stores, {
      groupMessage: (m) => this.emit('groupMessage', m),
      groupUpdate: (u) => this.emit('groupUpdate', u),
      unreadable: (u) => this.emit('unreadable', u),
      warning: (e) => this.emit('warning', e),
      changed: async (update) => {
        const out = (update.change.action === 'removed' || update.change.action === 'left') && update.change.members.includes(this.phone);
        if (out) await groupSender.left(update.groupId);
        else groupSender.remember(update.group);
      },
    });
    this.receiver = new InboundReceiver(this.conn, this.phone, deviceId, this.sessions, this.stores.pending, {
      message: (m) => this.emit('message', m),
      status: (s) => this.emit('status', s),
      unreadable: (u) => this.emit('unreadable', u),
      warning: (e) => this.emit('warning', e),
      preferred: (phone) => this.preferredSender(phone),
    }, this.options.autoAck ?? false, groupReceiver);
    this.conn.on('envelope', this.onEnvelope);
    this.conn.on('typing', this.onTyping);
    this.conn.on('keys.low', this.onKeysLow);
    this.conn.on('subscription.ended', this.onSubscriptionEnded);
    const result = await this.conn.subscribe(this.phone, deviceId, this.receiveWindow);
    if (this.sessions) this.rotateIfOld();
    return result;
  }

  async stop(): Promise<void> {
    this.conn.off('envelope', this.onEnvelope);
    this.conn.off('typing', this.onTyping);
    this.conn.off('keys.low', this.onKeysLow);
    this.conn.off('subscription.ended', this.onSubscriptionEnded);
    if (this.device !== undefined) await this.conn.unsubscribe(this.phone, this.device).catch(() => undefined);
    await this.receiver?.idle();
    await this.refilling;
    this.receiver = undefined;
    this.sessions?.removeAllListeners();
  }

  /** Resolves when every envelope received so far has been handed over. */
  idle(): Promise<void> {
    return this.receiver?.idle() ?? Promise.resolve();
  }

  /** Groups (protocol version 2): create, manage, send. Available after start(). */
  get groups(): GroupApi {
    if (!this.groupApi) throw new Error('call start() before using groups');
    return this.groupApi;
  }

  private requireSender(): OutboundSender {
    if (!this.sender) throw new Error('call start() before sending');
    return this.sender;
  }

  /** Sends content to every device of `to`; content.messageId is the idempotency key. */
  async sendContent(to: string, content: Content, options: { requireEncryption?: boolean } = {}): Promise<SendResult> {
    const checked = parseContent(content);
    if (!checked.ok) throw new Error(`refusing to send invalid content: ${checked.error}`);
    const bytes = new TextEncoder().encode(JSON.stringify(content));
    return this.requireSender().submit(to, content.messageId, bytes, options.requireEncryption ?? false);
  }

  /**
   * Encrypts content for every device of `to` and returns the `message.submit` params without
   * sending them (benchmarks; callers that submit themselves). The sessions advance, so the
   * params must be submitted, once; a stale_devices answer needs a fresh prepare.
   */
  async prepareContent(to: string, content: Content): Promise<SubmitParams> {
    const checked = parseContent(content);
    if (!checked.ok) throw new Error(`refusing to send invalid content: ${checked.error}`);
    return this.requireSender().prepare(to, content.messageId, new TextEncoder().encode(JSON.stringify(content)));
  }

  sendTyping(to: string, state: 'started' | 'stopped'): Promise<unknown> {
    return this.conn.request('signal.send', { from: this.address(), to, signal: { kind: 'typing', state } });
  }

  sendStatus(to: string, status: ReceiptStatus, messageIds: string[]): Promise<unknown> {
    return this.conn.request(
      'signal.send',
      { from: this.address(), to, signal: { kind: 'status', status, messageIds } },
      { retryOnDisconnect: true },
    );
  }

  private address(): { phone: string; deviceId: number } {
    return { phone: this.phone, deviceId: this.requireDevice() };
  }

  /** Encrypts with a fresh key, uploads the blob, returns the part to put into content. */
  async uploadAttachment(data: Uint8Array, meta: AttachmentMeta): Promise<AttachmentPart> {
    const enc = await encryptAttachment(data);
    const res = await this.conn.request('media.upload', { data: toBase64(enc.blob) }, { timeoutMs: 120_000 });
    if (res.digest !== enc.digest) throw new Error('the gateway stored other bytes than were uploaded (digest differs)');
    return { type: 'attachment', ...meta, mediaId: res.mediaId, key: enc.key, digest: enc.digest, size: enc.size };
  }

  /** Downloads and decrypts; refuses (MediaIntegrityError) a blob that fails its digest. */
  async downloadAttachment(part: AttachmentPart): Promise<Uint8Array> {
    const res = await this.conn.request('media.download', { mediaId: part.mediaId }, { timeoutMs: 120_000, retryOnDisconnect: true });
    return decryptAttachment(fromBase64(res.data, 'media data'), part);
  }

  /** `avatarMediaId` left out keeps the avatar; null clears it (as displayName: null does the name) */
  setProfile(displayName: string | null, avatarMediaId?: string | null): Promise<Profile> {
    return this.conn.request('profile.set', { phone: this.phone, displayName, ...(avatarMediaId !== undefined && { avatarMediaId }) });
  }

  /** Uploads bytes as they are: for an avatar, which is public to the network (protocol §10). */
  async uploadPublic(data: Uint8Array): Promise<string> {
    const res = await this.conn.request('media.upload', { data: toBase64(data) }, { timeoutMs: 120_000 });
    return res.mediaId;
  }

  getProfile(phone: string): Promise<Profile> {
    return this.conn.request('profile.get', { phone }, { retryOnDisconnect: true });
  }

  /** Replaces this account's block list at the gateway (docs/interop-protocol.md §14). The
   *  whole list each time, so resending it after a lost answer is safe. A gateway without
   *  block lists refuses with InteropRequestError code `unknown_type`. */
  async setBlocklist(blocked: readonly string[]): Promise<string[]> {
    const result = await this.conn.request('blocklist.set', { phone: this.phone, blocked: [...blocked] }, { retryOnDisconnect: true });
    return result.blocked;
  }

  async getBlocklist(): Promise<string[]> {
    return (await this.conn.request('blocklist.get', { phone: this.phone }, { retryOnDisconnect: true })).blocked;
  }

  /** Every provider the gateway is configured with (docs/interop-protocol.md §16). A gateway
   *  without the list refuses with InteropRequestError code `unknown_type`. */
  async listProviders(): Promise<ProviderInfo[]> {
    return (await this.conn.request('providers.list', {}, { retryOnDisconnect: true })).providers;
  }

  listDevices(phone = this.phone): Promise<DeviceListResult> {
    return this.conn.request('device.list', { phone });
  }

  /** Safety numbers with each known device of `phone` (empty until a session exists). */
  safetyNumbers(phone: string): Promise<Array<{ deviceId: number; safetyNumber: string; fingerprint: string }>> {
    if (!this.sessions) return Promise.resolve([]);
    return this.sessions.safetyNumbers(phone);
  }

  /** Uploads a new batch of one-time prekeys (EC and Kyber). */
  async refillPreKeys(): Promise<KeysUploadResult> {
    const deviceId = this.requireDevice();
    const res = await this.conn.request('keys.upload', {
      phone: this.phone,
      deviceId,
      oneTimePreKeys: await generateOneTimePreKeys(this.stores, this.batchSize()),
      oneTimeKyberPreKeys: await generateOneTimeKyberPreKeys(this.stores, this.options.kyberPreKeyBatch ?? 10),
    }, { retryOnDisconnect: true });
    this.emit('preKeysRefilled', res);
    return res;
  }

  /**
   * Publishes a new signed prekey and last-resort Kyber prekey. The previous ones are kept
   * (the newest few) because messages already in flight may name them.
   */
  async rotateSignedPreKeys(): Promise<{ signedPreKeyId: number; kyberPreKeyId: number }> {
    const deviceId = this.requireDevice();
    const signedPreKey = await generateSignedPreKey(this.stores);
    const kyberPreKey = await generateLastResortKyberPreKey(this.stores);
    await this.conn.request('keys.upload', { phone: this.phone, deviceId, signedPreKey, kyberPreKey }, { retryOnDisconnect: true });
    await this.stores.signedPreKey.pruneSignedPreKeys(KEEP_OLD_SIGNED_PREKEYS);
    await this.stores.kyberPreKey.pruneLastResortKyberPreKeys(KEEP_OLD_SIGNED_PREKEYS);
    return { signedPreKeyId: signedPreKey.keyId, kyberPreKeyId: kyberPreKey.keyId };
  }

  private rotateIfOld(): void {
    const maxAge = this.options.signedPreKeyMaxAgeMs ?? 7 * 24 * 3600 * 1000;
    void this.stores.signedPreKey
      .latestSignedPreKey()
      .then((latest) => (latest && Date.now() - latest.createdAt > maxAge ? this.rotateSignedPreKeys() : undefined))
      .catch((err: Error) => this.emit('warning', new Error(`signed prekey rotation failed: ${err.message}`)));
  }

  private scheduleRefill(): void {
    if (this.refilling || !this.e2ee) return;
    this.refilling = this.refillPreKeys()
      .then(() => undefined)
      .catch((err: Error) => {
        this.emit('warning', new Error(`prekey refill failed: ${err.message}`));
      })
      .finally(() => {
        this.refilling = undefined;
      });
  }
}
