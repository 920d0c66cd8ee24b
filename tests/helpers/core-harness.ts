// The real BridgeCore over fake ports that fail on command: a Matrix side that records
// every call and can refuse or fail any method N times (or until told otherwise), and a
// network whose sessions can be disconnected, can fail sends, and hand core remote
// events with an ack the test can count. The store is the real SQLite store in a temp
// dir and the sealer the real key-store sealer, so what core persists is what production
// persists. Used by tests/unit/core/.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import type { BridgeConfig } from '../../src/config/types';
import { BridgeCore } from '../../src/core/bridge-core';
import type { CoreLogger } from '../../src/core/context';
import type { DownloadedMedia, MatrixPort, PortalRoomSpec } from '../../src/core/matrix-port';
import { MatrixRefusedError } from '../../src/core/errors';
import type {
  LoginState, RemoteEventHandler, RemoteMessage, RemoteNetwork, RemoteProfile, RemoteSession, SendResult,
} from '../../src/network/remote-network';
import type { E164 } from '../../src/network/phone';
import type { AttachmentPart, Content } from '../../src/protocol/content';
import { SqliteBridgeStore } from '../../src/store';
import { BridgeKeyStore } from '../../src/network/interop/signal-keys';
import { repoRoot } from './synapse';

/** A programmed failure: fail the next `times` calls (Infinity: until cleared). */
interface Failure {
  times: number;
  error: () => Error;
}

/** An error like the bot SDK's for an HTTP status (5xx: transient; 4xx: a refusal). */
export function httpError(status: number, errcode = status >= 500 ? 'M_UNKNOWN' : 'M_FORBIDDEN'): Error {
  if (status >= 400 && status < 500 && status !== 429) return new MatrixRefusedError(`HTTP ${status}`, status, errcode);
  return Object.assign(new Error(`HTTP ${status}`), { statusCode: status, errcode });
}

export const unreachable = (): Error => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8008'), { code: 'ECONNREFUSED' });

class Faults<M extends string> {
  private readonly failures = new Map<M, Failure>();
  /** every call made, in order: [method, args] */
  readonly calls: [M, unknown[]][] = [];

  fail(method: M, times: number, error: () => Error = unreachable): void {
    this.failures.set(method, { times, error });
  }

  heal(method?: M): void {
    if (method) this.failures.delete(method);
    else this.failures.clear();
  }

  /** records the call and throws if a failure is programmed for it */
  enter(method: M, args: unknown[]): void {
    this.calls.push([method, args]);
    const failure = this.failures.get(method);
    if (!failure || failure.times <= 0) return;
    failure.times -= 1;
    throw failure.error();
  }

  count(method: M): number {
    return this.calls.filter(([m]) => m === method).length;
  }
}

export interface SentEvent {
  asUser: string;
  roomId: string;
  eventType: string;
  content: Record<string, unknown>;
  txnId?: string;
  eventId: string;
}

type MatrixMethod = Exclude<keyof MatrixPort, 'botUserId' | 'ghostUserId' | 'isBridgeUser'>;

export class FakeMatrix extends Faults<MatrixMethod> implements MatrixPort {
  readonly botUserId = '@interopbot:example.org';
  /** events that exist in the rooms (each txnId once, as a homeserver keeps them) */
  readonly events: SentEvent[] = [];
  readonly rooms: PortalRoomSpec[] = [];
  readonly uploads: { asUser: string; bytes: Uint8Array; mimeType: string; fileName?: string; mxc: string }[] = [];
  readonly redactions: { asUser: string; roomId: string; eventId: string }[] = [];
  readonly encryptedRooms = new Set<string>();
  readonly media = new Map<string, Uint8Array>();
  private counter = 0;

  ghostUserId(phone: string): string {
    return `@wa_${phone}:example.org`;
  }

  isBridgeUser(mxid: string): boolean {
    return mxid === this.botUserId || mxid.startsWith('@wa_');
  }

  /** events of one room, in order */
  inRoom(roomId: string): SentEvent[] {
    return this.events.filter((e) => e.roomId === roomId);
  }

  async setGhostProfile(...args: [string, { displayName?: string; avatarMxc?: string }]): Promise<void> {
    this.enter('setGhostProfile', args);
  }

  async createPortalRoom(spec: PortalRoomSpec): Promise<string> {
    this.enter('createPortalRoom', [spec]);
    this.rooms.push(spec);
    return `!room${this.rooms.length}:example.org`;
  }

  async setDirectRooms(...args: [string, Record<string, string[]>]): Promise<void> {
    this.enter('setDirectRooms', args);
  }

  async ensureJoined(...args: [string, string, string]): Promise<void> {
    this.enter('ensureJoined', args);
  }

  async invite(...args: [string, string, string]): Promise<void> {
    this.enter('invite', args);
  }

  async leave(...args: [string, string]): Promise<void> {
    this.enter('leave', args);
  }

  async membership(roomId: string, userId: string): Promise<string | undefined> {
    this.enter('membership', [roomId, userId]);
    return 'join';
  }

  async sendEvent(asUser: string, roomId: string, eventType: string, content: object, txnId?: string): Promise<string> {
    this.enter('sendEvent', [asUser, roomId, eventType, content, txnId]);
    const again = txnId === undefined ? undefined : this.events.find((e) => e.txnId === txnId && e.asUser === asUser);
    if (again) return again.eventId;
    const eventId = `$event${++this.counter}`;
    this.events.push({ asUser, roomId, eventType, content: content as Record<string, unknown>, txnId, eventId });
    return eventId;
  }

  async setState(...args: [string, string, string, string, Record<string, unknown>]): Promise<void> {
    this.enter('setState', args);
  }

  async redact(asUser: string, roomId: string, eventId: string, reason?: string, extra?: Record<string, unknown>): Promise<void> {
    this.enter('redact', [asUser, roomId, eventId, reason, extra]);
    this.redactions.push({ asUser, roomId, eventId });
  }

  async uploadMedia(asUser: string, bytes: Uint8Array, mimeType: string, fileName?: string): Promise<string> {
    this.enter('uploadMedia', [asUser, bytes, mimeType, fileName]);
    const mxc = `mxc://example.org/media${++this.counter}`;
    this.uploads.push({ asUser, bytes, mimeType, fileName, mxc });
    this.media.set(mxc, bytes);
    return mxc;
  }

  async downloadMedia(mxcUrl: string): Promise<DownloadedMedia> {
    this.enter('downloadMedia', [mxcUrl]);
    const bytes = this.media.get(mxcUrl);
    if (!bytes) throw httpError(404, 'M_NOT_FOUND');
    return { bytes };
  }

  async setTyping(...args: [string, string, boolean, number]): Promise<void> {
    this.enter('setTyping', args);
  }

  async sendReadReceipt(...args: [string, string, string]): Promise<void> {
    this.enter('sendReadReceipt', args);
  }

  async isEncrypted(roomId: string): Promise<boolean> {
    this.enter('isEncrypted', [roomId]);
    return this.encryptedRooms.has(roomId);
  }
}

type SessionMethod = 'send' | 'sendTyping' | 'sendReadStatus' | 'uploadAttachment' | 'downloadAttachment' | 'fetchProfile' | 'identity';

export class FakeSession extends Faults<SessionMethod> implements RemoteSession {
  /** what reached the network, in order */
  readonly sent: { to: E164; content: Content }[] = [];
  readonly attachments = new Map<string, Uint8Array>();
  readonly profiles = new Map<string, RemoteProfile>();
  disconnected = false;
  private counter = 0;

  constructor(
    readonly phone: E164,
    readonly handler: RemoteEventHandler,
  ) {
    super();
  }

  async send(to: E164, content: Content): Promise<SendResult> {
    this.enter('send', [to, content]);
    this.sent.push({ to, content });
    return { serverTimestamp: Date.now(), encrypted: true };
  }

  async sendTyping(to: E164, typing: boolean): Promise<void> {
    this.enter('sendTyping', [to, typing]);
  }

  async sendReadStatus(to: E164, messageIds: string[]): Promise<void> {
    this.enter('sendReadStatus', [to, messageIds]);
  }

  async uploadAttachment(bytes: Uint8Array, meta: Omit<AttachmentPart, 'type' | 'mediaId' | 'key' | 'digest' | 'size'>): Promise<AttachmentPart> {
    this.enter('uploadAttachment', [bytes, meta]);
    const mediaId = `m${++this.counter}`;
    this.attachments.set(mediaId, bytes);
    // key and digest shaped like real ones (32 bytes, base64), so the content validates
    const key = Buffer.alloc(32, this.counter).toString('base64');
    return { ...meta, type: 'attachment', mediaId, key, digest: key, size: bytes.length } as AttachmentPart;
  }

  async downloadAttachment(part: AttachmentPart): Promise<Uint8Array> {
    this.enter('downloadAttachment', [part]);
    const bytes = this.attachments.get(part.mediaId);
    if (!bytes) throw new Error(`no media ${part.mediaId}`);
    return bytes;
  }

  async fetchProfile(contact: E164): Promise<RemoteProfile> {
    this.enter('fetchProfile', [contact]);
    return this.profiles.get(contact) ?? {};
  }

  async downloadAvatar(): Promise<Uint8Array> {
    throw new Error('no avatars in the fake network');
  }

  async identity(contact: E164): Promise<{ safetyNumber: string; fingerprint: string } | undefined> {
    this.enter('identity', [contact]);
    return undefined;
  }

  async disconnect(): Promise<void> {
    this.disconnected = true;
  }

  /** A remote text message as the network hands it to core. */
  static text(from: E164, messageId: string, body: string, timestamp = Date.now()): RemoteMessage {
    return {
      from,
      sender: { provider: 'native', e2ee: true, bridged: false },
      content: { kind: 'message', messageId, timestamp, parts: [{ type: 'text', body, format: 'plain' }] } as Content,
      encrypted: true,
      serverTimestamp: timestamp,
    };
  }

  /** Hands core a remote message as the network would; resolves when core is done with it. */
  async deliver(message: RemoteMessage): Promise<{ acked: () => number }> {
    let acks = 0;
    await this.handler.onMessage(message, async () => {
      acks += 1;
    });
    return { acked: () => acks };
  }
}

export class FakeNetwork implements RemoteNetwork {
  readonly id = 'fake';
  readonly displayName = 'Fake network';
  readonly sessions = new Map<string, FakeSession>();
  /** connect() fails while this is set */
  refuseConnect?: () => Error;

  async requestLoginCode(): Promise<{ devCode?: string }> {
    return { devCode: '123456' };
  }

  async completeLogin(_userKey: string, phone: E164): Promise<LoginState> {
    return { phone, data: {} };
  }

  async connect(userKey: string, login: LoginState, handler: RemoteEventHandler): Promise<RemoteSession> {
    if (this.refuseConnect) throw this.refuseConnect();
    const session = new FakeSession(login.phone, handler);
    this.sessions.set(userKey, session);
    return session;
  }

  async logout(): Promise<string[]> {
    return [];
  }
}

export class RecordingLogger implements CoreLogger {
  readonly lines: { level: string; text: string }[] = [];
  private add(level: string, parts: unknown[]): void {
    this.lines.push({ level, text: parts.map(String).join(' ') });
  }
  debug(...parts: unknown[]): void {
    this.add('debug', parts);
  }
  info(...parts: unknown[]): void {
    this.add('info', parts);
  }
  warn(...parts: unknown[]): void {
    this.add('warn', parts);
  }
  error(...parts: unknown[]): void {
    this.add('error', parts);
  }
}

export interface CoreHarness {
  config: BridgeConfig;
  store: SqliteBridgeStore;
  matrix: FakeMatrix;
  network: FakeNetwork;
  log: RecordingLogger;
  core: BridgeCore;
  dir: string;
  /** logs `owner` in with `phone` and waits until its session is connected */
  login(owner: string, phone: E164): Promise<FakeSession>;
  stop(): Promise<void>;
}

/** Short delivery delays so retry tests run in milliseconds. */
function testConfig(adjust?: (config: BridgeConfig) => void): BridgeConfig {
  const config = parseConfig(readFileSync(join(repoRoot, 'config.sample.yaml'), 'utf8'), 'config.sample.yaml');
  config.security.key_store_secret = randomBytes(32).toString('base64');
  config.bridge.delivery.retry_initial_ms = 5;
  config.bridge.delivery.retry_max_ms = 20;
  config.bridge.delivery.delayed_after_ms = 50;
  adjust?.(config);
  return config;
}

export async function startCoreHarness(opts: { adjust?: (config: BridgeConfig) => void; dir?: string } = {}): Promise<CoreHarness> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'core-harness-'));
  const config = testConfig(opts.adjust);
  config.database.path = join(dir, 'bridge.db');
  const store = SqliteBridgeStore.open(config.database.path);
  const keys = await BridgeKeyStore.open(store.connection, config.security.key_store_secret);
  const matrix = new FakeMatrix();
  const network = new FakeNetwork();
  const log = new RecordingLogger();
  const core = new BridgeCore(config, store, matrix, network, log, await keys.sealer());
  core.start();
  const harness: CoreHarness = {
    config, store, matrix, network, log, core, dir,
    async login(owner, phone) {
      store.users.ensure(owner);
      store.logins.put(owner, phone, {});
      const login = store.logins.get(owner);
      if (!login) throw new Error('login not stored');
      await core.sessions.connect(login);
      const session = network.sessions.get(owner);
      if (!session) throw new Error(`session of ${owner} did not connect`);
      return session;
    },
    async stop() {
      await core.stop();
      store.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}
