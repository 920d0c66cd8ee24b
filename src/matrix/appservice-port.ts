/**
 * MatrixPort implemented with matrix-appservice-bridge's intents: ghosts and the bot act
 * through the appservice's token, each as itself. With end-to-bridge encryption on, an event
 * sent into a room with m.room.encryption state is encrypted by the sender's own device first:
 * never plaintext into an encrypted room, and a room whose state cannot be read is not sent to.
 * Under security.encryption: require, a portal not yet encrypted gets encryption turned on
 * before anything is sent into it, and nothing unencrypted is ever sent into one.
 */
import type { Bridge } from 'matrix-appservice-bridge';
import type { DownloadedMedia, MatrixPort, PortalRoomSpec, RoomMedia, SpaceSpec } from '../core/matrix-port';
import { MatrixRefusedError, classifyMatrixError } from '../core/errors';
import { KeyRecipients } from './key-recipients';
import { decryptForDelivery, encryptAttachment } from './crypto/attachment-crypto';
import type { RequiredEncryption } from './required-encryption';

/** Every method of the port throws MatrixRefusedError for a 4xx refusal, so core can tell a
 *  refusal that no retry fixes from an outage (see core/errors.ts). */
function classified<T extends object>(port: T): T {
  const proto = Object.getPrototypeOf(port) as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const method = proto[name];
    if (name === 'constructor' || typeof method !== 'function') continue;
    const original = method as (...args: unknown[]) => unknown;
    Object.defineProperty(port, name, {
      value: (...args: unknown[]) => {
        const result = original.apply(port, args);
        return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(classifyMatrixError(error))) : result;
      },
    });
  }
  return port;
}

/** The homeserver's answer that a state event does not exist (404 M_NOT_FOUND). */
function isNotFound(error: unknown): boolean {
  const refused = classifyMatrixError(error);
  return refused instanceof MatrixRefusedError && refused.status === 404;
}

/** What the port needs of end-to-bridge encryption (src/matrix/crypto/room-encryption.ts). */
export interface SendEncryption {
  encrypt(asUser: string, roomId: string, members: string[], type: string, content: Record<string, unknown>): Promise<Record<string, unknown>>;
}

const MEGOLM = { algorithm: 'm.megolm.v1.aes-sha2' };

export class AppserviceMatrixPort implements MatrixPort {
  /** rooms seen with m.room.encryption: encryption cannot be turned off, so this is never undone */
  private readonly encryptedRooms = new Set<string>();

  /** ghosts registered (or known to be) in this process: the library's check logs two debug
   *  lines on every call, so it is made once per ghost, not once per request */
  private readonly registered = new Set<string>();

  /** the members an encrypted room's events are shared with, loaded once, then kept from transactions */
  private readonly keyRecipients = new KeyRecipients((roomId) => this.loadMembers(roomId));

  constructor(
    private readonly bridge: Bridge,
    readonly botUserId: string,
    private readonly ghostTemplate: string,
    private readonly domain: string,
    private readonly ghostPattern: RegExp,
    private readonly encryption?: SendEncryption,
    private readonly required?: RequiredEncryption,
  ) {
    classified(this);
  }

  ghostUserId(phone: string): string {
    return `@${this.ghostTemplate.replace('{phone}', phone)}:${this.domain}`;
  }

  isBridgeUser(mxid: string): boolean {
    return mxid === this.botUserId || this.ghostPattern.test(mxid);
  }

  private intent(user: string) {
    return this.bridge.getIntent(user);
  }

  /** the raw client of a user; ghosts are registered first, the bot never (see runtime.ts) */
  private async client(user: string) {
    const intent = this.intent(user);
    if (user !== this.botUserId && !this.registered.has(user)) {
      await intent.ensureRegistered();
      this.registered.add(user);
    }
    return intent.matrixClient;
  }

  async setGhostProfile(ghost: string, profile: { displayName?: string; avatarMxc?: string }): Promise<void> {
    const intent = this.intent(ghost);
    if (profile.displayName !== undefined) await intent.setDisplayName(profile.displayName);
    if (profile.avatarMxc !== undefined) await intent.setAvatarUrl(profile.avatarMxc);
  }

  async createPortalRoom(spec: PortalRoomSpec): Promise<string> {
    const client = await this.client(spec.ghost);
    return client.createRoom({
      preset: 'private_chat',
      is_direct: true,
      invite: [spec.invitee, this.botUserId],
      ...(spec.name ? { name: spec.name } : {}),
      ...(spec.topic ? { topic: spec.topic } : {}),
      initial_state: spec.initialState.map(([type, state_key, content]) => ({ type, state_key, content })),
      // the creating ghost gets full power by default (and, from room version 12, must not be
      // listed: creators' power is implicit); the bot needs it to manage state and notices
      // the owner may turn on encryption (the bridge then says plainly that it cannot read
      // the room) but not take the room from the bridge
      power_level_content_override: {
        users: { [this.botUserId]: 100, [spec.invitee]: 50 },
        events: { 'm.room.encryption': 50 },
      },
    });
  }

  async userProfile(user: string): Promise<{ displayName?: string; avatarMxc?: string }> {
    const profile = (await (await this.client(this.botUserId)).getUserProfile(user)) as { displayname?: unknown; avatar_url?: unknown };
    return {
      ...(typeof profile.displayname === 'string' && { displayName: profile.displayname }),
      ...(typeof profile.avatar_url === 'string' && { avatarMxc: profile.avatar_url }),
    };
  }

  async createSpace(spec: SpaceSpec): Promise<string> {
    const client = await this.client(this.botUserId);
    return client.createRoom({
      preset: 'private_chat',
      creation_content: { type: 'm.space' },
      invite: [spec.owner],
      name: spec.name,
      topic: spec.topic,
      // the bot alone arranges the space: its children are the bridge's record of the inbox.
      // The bot, its creator, has full power already (implicit from room version 12, where
      // naming it in `users` is refused)
      power_level_content_override: { events_default: 100, state_default: 100 },
    });
  }

  async setDirectRooms(user: string, direct: Record<string, string[]>): Promise<void> {
    await (await this.client(user)).setAccountData('m.direct', direct);
  }

  async ensureJoined(user: string, roomId: string, inviter: string): Promise<void> {
    const client = await this.client(user);
    try {
      await client.joinRoom(roomId);
    } catch {
      // not invited (any more): have the inviter invite, then join
      const inviterClient = await this.client(inviter);
      await inviterClient.inviteUser(user, roomId).catch(() => undefined);
      await client.joinRoom(roomId);
    }
  }

  async invite(asUser: string, roomId: string, invitee: string): Promise<void> {
    await (await this.client(asUser)).inviteUser(invitee, roomId);
  }

  async leave(asUser: string, roomId: string): Promise<void> {
    await (await this.client(asUser)).leaveRoom(roomId);
  }

  async isEncrypted(roomId: string): Promise<boolean> {
    try {
      await (await this.client(this.botUserId)).getRoomStateEvent(roomId, 'm.room.encryption', '');
      return true;
    } catch (error) {
      // only "there is no such state" means unencrypted: an outage taken for "unencrypted"
      // would record an encrypted portal as plaintext (and its trail with it)
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async membership(roomId: string, userId: string): Promise<string | undefined> {
    try {
      const state = (await (await this.client(this.botUserId)).getRoomStateEvent(roomId, 'm.room.member', userId)) as { membership?: string };
      return state.membership;
    } catch (error) {
      // never in the room; an outage is not "no membership" (the caller would invite again)
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Whether the room is encrypted, strictly: only "no such state" (404) is "not encrypted";
   * any other failure throws, so a room the bridge cannot check gets nothing in plaintext.
   */
  private async mustEncrypt(roomId: string): Promise<boolean> {
    if (this.encryptedRooms.has(roomId)) return true;
    try {
      await (await this.client(this.botUserId)).getRoomStateEvent(roomId, 'm.room.encryption', '');
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
    this.encryptedRooms.add(roomId);
    return true;
  }

  /** Every room event of a transaction: keeps what the port knows of rooms (members, encryption) current. */
  observe(event: { type?: unknown; room_id?: unknown; state_key?: unknown; content?: { membership?: unknown } | null }): void {
    this.keyRecipients.observe(event);
    if (event.type === 'm.room.encryption' && event.state_key === '' && typeof event.room_id === 'string') this.encryptedRooms.add(event.room_id);
  }

  /** Who gets the room key: joined and invited members (the invited owner reads the first message on joining). */
  private async loadMembers(roomId: string): Promise<string[]> {
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/members`;
    const { chunk } = (await (await this.client(this.botUserId)).doRequest('GET', path)) as { chunk?: { state_key?: unknown; content?: { membership?: unknown } }[] };
    return (chunk ?? [])
      .filter((m) => typeof m.state_key === 'string' && (m.content?.membership === 'join' || m.content?.membership === 'invite'))
      .map((m) => m.state_key as string);
  }

  /**
   * Under `require`, a room that must be encrypted but is not gets m.room.encryption first, from
   * the bot (full power in the portals it made), else from the sender (a portal's creating
   * ghost). If neither may, the refusal is thrown (core's failure paths take it) and the
   * room's owner is told: nothing goes into the room in plaintext.
   */
  private async turnOnEncryption(asUser: string, roomId: string): Promise<void> {
    try {
      await (await this.client(this.botUserId)).sendStateEvent(roomId, 'm.room.encryption', '', MEGOLM);
    } catch (error) {
      if (asUser === this.botUserId) return await this.cannotEncrypt(roomId, error);
      try {
        await (await this.client(asUser)).sendStateEvent(roomId, 'm.room.encryption', '', MEGOLM);
      } catch (second) {
        return await this.cannotEncrypt(roomId, second);
      }
    }
    this.encryptedRooms.add(roomId);
  }

  private async cannotEncrypt(roomId: string, error: unknown): Promise<never> {
    const classified = classifyMatrixError(error) as Error;
    await this.required?.cannotEncrypt(roomId, classified);
    throw classified;
  }

  /** Turns encryption on in `roomId` as the bot, unless it is on already (the bot's management room). */
  async encryptRoom(roomId: string): Promise<void> {
    if (await this.mustEncrypt(roomId)) return;
    await (await this.client(this.botUserId)).sendStateEvent(roomId, 'm.room.encryption', '', MEGOLM);
    this.encryptedRooms.add(roomId);
  }

  /** Whether what `asUser` puts into `roomId` is encrypted; under `require` (`required`) a plain room gets encryption turned on first. */
  private async encryptsFor(asUser: string, roomId: string, required: boolean): Promise<boolean> {
    if (!this.encryption) return false;
    if (await this.mustEncrypt(roomId)) return true;
    if (!required) return false;
    await this.turnOnEncryption(asUser, roomId);
    return true;
  }

  async sendEvent(asUser: string, roomId: string, type: string, plain: object, txnId?: string, options: { ts?: number } = {}): Promise<string> {
    // before any encryption: MSC4190 devices need their user registered
    const client = await this.client(asUser);
    let eventType = type;
    let content = plain;
    const required = (await this.required?.applies(roomId)) ?? false;
    if (await this.encryptsFor(asUser, roomId, required)) {
      // a retry encrypts again, but the same txnId makes the homeserver keep the first event
      content = await this.encryption!.encrypt(asUser, roomId, await this.keyRecipients.of(roomId), type, plain as Record<string, unknown>);
      eventType = 'm.room.encrypted';
    }
    // the last guard, whatever the path above: under `require` nothing in plaintext, ever
    if (required && eventType !== 'm.room.encrypted') {
      throw new MatrixRefusedError(`not sent: ${roomId} requires encryption and the event was not encrypted`, 403, 'M_FORBIDDEN');
    }
    if (txnId === undefined && options.ts === undefined) return client.sendEvent(roomId, eventType, content);
    // the homeserver answers a repeated transaction ID with the event it already made
    const txn = txnId ?? `mib-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/${encodeURIComponent(eventType)}/` + encodeURIComponent(txn);
    // `ts`: appservice timestamp massaging (Matrix AS API), honoured for the bridge's own users
    const query = options.ts === undefined ? null : { ts: options.ts };
    const result = (await client.doRequest('PUT', path, query, content)) as { event_id: string };
    return result.event_id;
  }

  async ping(): Promise<void> {
    await (await this.client(this.botUserId)).doRequest('GET', '/_matrix/client/versions');
  }

  async setState(asUser: string, roomId: string, eventType: string, stateKey: string, content: Record<string, unknown>): Promise<void> {
    await (await this.client(asUser)).sendStateEvent(roomId, eventType, stateKey, content);
  }

  async redact(asUser: string, roomId: string, eventId: string, reason?: string, extra: Record<string, unknown> = {}): Promise<void> {
    const client = await this.client(asUser);
    // one transaction ID per (redacter, event): a repeated redaction is the same request
    const txnId = `redact-${Buffer.from(`${asUser}|${eventId}`).toString('base64url').slice(0, 60)}`;
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/redact/${encodeURIComponent(eventId)}/${encodeURIComponent(txnId)}`;
    await client.doRequest('PUT', path, null, { ...extra, ...(reason ? { reason } : {}) });
  }

  async uploadMedia(asUser: string, bytes: Uint8Array, mimeType: string, fileName?: string): Promise<string> {
    return (await this.client(asUser)).uploadContent(Buffer.from(bytes), mimeType, fileName);
  }

  /**
   * Into a room whose events the port encrypts, media goes encrypted too: the homeserver gets
   * ciphertext as application/octet-stream with no file name (the name, type and key travel
   * in the encrypted event); it still sees the size (AES-CTR keeps it) and when it came.
   */
  async uploadRoomMedia(asUser: string, roomId: string, bytes: Uint8Array, mimeType: string, fileName?: string): Promise<RoomMedia> {
    // under `require` a plain portal is encrypted first: its media must not go up in plaintext either
    if (!(await this.encryptsFor(asUser, roomId, (await this.required?.applies(roomId)) ?? false))) return this.uploadMedia(asUser, bytes, mimeType, fileName);
    const { ciphertext, info } = await encryptAttachment(bytes);
    const url = await this.uploadMedia(asUser, ciphertext, 'application/octet-stream');
    return { file: { ...info, url } };
  }

  async decryptMedia(ciphertext: Uint8Array, file: unknown): Promise<Uint8Array> {
    return decryptForDelivery(ciphertext, file);
  }

  async downloadMedia(mxcUrl: string): Promise<DownloadedMedia> {
    const result = await (await this.client(this.botUserId)).downloadContent(mxcUrl);
    return { bytes: new Uint8Array(result.data), mimeType: result.contentType };
  }

  async setTyping(asUser: string, roomId: string, typing: boolean, timeoutMs: number): Promise<void> {
    await (await this.client(asUser)).setTyping(roomId, typing, timeoutMs);
  }

  async sendReadReceipt(asUser: string, roomId: string, eventId: string): Promise<void> {
    await (await this.client(asUser)).sendReadReceipt(roomId, eventId);
  }
}
