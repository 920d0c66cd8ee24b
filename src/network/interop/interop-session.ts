/** A Matrix user's connected session on the interop network: InteropClient behind RemoteSession. */
import { InteropRequestError, PlaintextRefusedError } from '../../interop-client/errors';
import type { InteropClient } from '../../interop-client/client';
import type { AttachmentPart, Content } from '../../protocol/content';
import { isE164, type E164 } from '../phone';
import {
  RemoteRefusedError, type BlockListOutcome, type RemoteEventHandler, type RemoteProviderInfo, type RemoteIdentity, type RemoteProfile, type RemoteSession, type SendResult,
} from '../remote-network';

/** gateway answers that no retry can change */
const REFUSALS = new Set(['account_not_found', 'device_not_found', 'forbidden', 'encryption_mismatch', 'media_too_large', 'invalid_params']);

function refusedOrRaw(error: unknown): never {
  if (error instanceof PlaintextRefusedError) throw new RemoteRefusedError(error.message, 'not_end_to_end');
  if (error instanceof InteropRequestError && REFUSALS.has(error.code)) throw new RemoteRefusedError(error.message, error.code);
  throw error;
}

export class InteropSession implements RemoteSession {
  constructor(
    readonly phone: E164,
    private readonly client: InteropClient,
    private readonly onStop: () => Promise<void>,
    private readonly downloadPublic: (mediaId: string) => Promise<Uint8Array>,
    /** the device IDs a contact has now, asked of the network */
    private readonly currentDevices: (phone: E164) => Promise<number[]>,
  ) {}

  /** Routes the client's events to core; each delivery's ack is core's to call. A handler
   *  that finishes without acking gives the envelope back (the next redelivery reaches core
   *  again); one that rejects, against its contract, is reported, never left unhandled. */
  wire(handler: RemoteEventHandler, warn: (message: string) => void): void {
    const from = (phone: string): E164 | undefined => {
      if (isE164(phone)) return phone;
      warn(`the network named a sender that is not an E.164 number (${JSON.stringify(phone).slice(0, 40)}); dropped`);
      return undefined;
    };
    const settle = (what: string, handled: Promise<void>, release?: () => void) => {
      handled.then(
        () => release?.(),
        (error: Error) => {
          warn(`${what} not handled: ${error.message}`);
          release?.();
        },
      );
    };
    if (handler.isEstablished) {
      const established = handler.isEstablished.bind(handler);
      this.client.preferSenders((phone) => isE164(phone) && established(phone));
    }
    this.client.on('message', (m) => {
      const sender = from(m.sender.phone);
      if (!sender) return void m.ack();
      const message = {
        from: sender,
        sender: { provider: m.sender.provider, e2ee: m.sender.e2ee, bridged: m.sender.bridged },
        content: m.content,
        encrypted: m.encrypted,
        serverTimestamp: m.serverTimestamp,
      };
      settle(`message ${m.envelopeId}`, handler.onMessage(message, m.ack), m.release);
    });
    this.client.on('unreadable', (u) => {
      const sender = from(u.sender.phone);
      if (!sender) return void u.ack();
      const message = {
        from: sender, reason: `${u.reason}: ${u.error}`, serverTimestamp: u.serverTimestamp, encrypted: u.encrypted,
        sender: { provider: u.sender.provider, e2ee: u.sender.e2ee, bridged: u.sender.bridged }, messageId: u.clientMessageId,
      };
      settle(`unreadable envelope ${u.envelopeId}`, handler.onUnreadable(message, u.ack), u.release);
    });
    this.client.on('status', (s) => {
      const sender = from(s.sender.phone);
      if (!sender) return void s.ack();
      settle(`status ${s.envelopeId}`, handler.onStatus(sender, s.status, s.messageIds, s.ack), s.release);
    });
    this.client.on('typing', (t) => {
      const sender = from(t.sender.phone);
      if (sender) settle('typing', handler.onTyping(sender, t.state === 'started'));
    });
    this.client.on('identityChanged', (e) => {
      const contact = from(e.remotePhone);
      if (contact) settle('identity change', handler.onIdentityChanged(contact, { safetyNumber: e.newSafetyNumber, fingerprint: e.newFingerprint }));
    });
    this.client.on('warning', (e) => warn(e.message));
  }

  async send(to: E164, content: Content, options: { requireEndToEnd?: boolean } = {}): Promise<SendResult> {
    try {
      const result = await this.client.sendContent(to, content, { requireEncryption: options.requireEndToEnd });
      return { serverTimestamp: result.serverTimestamp, encrypted: result.encrypted };
    } catch (error) {
      refusedOrRaw(error);
    }
  }

  async sendTyping(to: E164, typing: boolean): Promise<void> {
    await this.client.sendTyping(to, typing ? 'started' : 'stopped');
  }

  async sendReadStatus(to: E164, messageIds: string[]): Promise<void> {
    await this.client.sendStatus(to, 'read', messageIds);
  }

  async sendDeliveredStatus(to: E164, messageIds: string[]): Promise<void> {
    await this.client.sendStatus(to, 'delivered', messageIds);
  }

  async uploadAttachment(bytes: Uint8Array, meta: Omit<AttachmentPart, 'type' | 'mediaId' | 'key' | 'digest' | 'size'>): Promise<AttachmentPart> {
    try {
      return await this.client.uploadAttachment(bytes, meta);
    } catch (error) {
      refusedOrRaw(error);
    }
  }

  downloadAttachment(part: AttachmentPart): Promise<Uint8Array> {
    return this.client.downloadAttachment(part);
  }

  async fetchProfile(contact: E164): Promise<RemoteProfile> {
    const profile = await this.client.getProfile(contact);
    return { displayName: profile.displayName, avatarRef: profile.avatarMediaId };
  }

  async publishProfile(profile: { displayName: string | null; avatar: Uint8Array | null }): Promise<void> {
    const avatarMediaId = profile.avatar ? await this.client.uploadPublic(profile.avatar) : null;
    await this.client.setProfile(profile.displayName, avatarMediaId);
  }

  /** avatars are public to the network, stored unencrypted (docs/interop-protocol.md §10) */
  async downloadAvatar(ref: string): Promise<Uint8Array> {
    return this.downloadPublic(ref);
  }

  /**
   * The contact's identity: every current device's key, not just the newest (a contact may
   * have several real devices, each with its own key). When more than one device is known
   * here, the network is asked which still exist: after a reinstall the old device stays in
   * the local store until a send finds it gone, and its key is no longer the contact's.
   */
  async identity(contact: E164): Promise<RemoteIdentity | undefined> {
    const known = (await this.client.safetyNumbers(contact)).sort((a, b) => a.deviceId - b.deviceId);
    if (known.length === 0) return undefined;
    let devices = known;
    if (known.length > 1) {
      const ids = await this.currentDevices(contact).catch(() => undefined);
      const present = ids ? known.filter((d) => ids.includes(d.deviceId)) : [];
      if (present.length > 0) devices = present;
    }
    const newest = devices[devices.length - 1];
    return { safetyNumber: newest.safetyNumber, fingerprint: devices.map((d) => d.fingerprint).join(', '), devices };
  }

  /** blocklist.set; a gateway older than block lists answers `unknown_type`, which is no
   *  failure: blocking then happens at the bridge alone */
  async setBlockList(blocked: readonly E164[]): Promise<BlockListOutcome> {
    try {
      await this.client.setBlocklist(blocked);
      return 'network';
    } catch (error) {
      if (error instanceof InteropRequestError && error.code === 'unknown_type') return 'unsupported';
      refusedOrRaw(error);
    }
  }

  /** providers.list; a gateway older than the list answers `unknown_type`, which is no
   *  failure: core then knows providers from the messages it received */
  async listProviders(): Promise<RemoteProviderInfo[] | 'unsupported'> {
    try {
      return await this.client.listProviders();
    } catch (error) {
      if (error instanceof InteropRequestError && error.code === 'unknown_type') return 'unsupported';
      refusedOrRaw(error);
    }
  }

  disconnect(): Promise<void> {
    return this.onStop();
  }
}
