// The real BridgeCore over fake ports that fail on command: a Matrix side that records
// every call and can refuse or fail any method N times (or until told otherwise), and a
// network whose sessions can be disconnected, can fail sends, and hand core remote
// events with an ack the test can count. The store is the real SQLite store in a temp
// dir and the sealer the real key-store sealer, so what core persists is what production
// persists. Used by tests/unit/core/.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import type { BridgeConfig } from '../../src/config/types';
import { BridgeCore } from '../../src/core/bridge-core';
import type { BlockedKind, BridgeMetrics, Direction, FailureReason, MessageKind, RequestEvent } from '../../src/core/bridge-metrics';
import type { CoreLogger } from '../../src/core/context';
import type { DownloadedMedia, MatrixPort, PortalRoomSpec, RoomMedia, SpaceSpec } from '../../src/core/matrix-port';
import { decryptForDelivery, encryptAttachment } from '../../src/matrix/crypto/attachment-crypto';
import { MatrixRefusedError } from '../../src/core/errors';
import type {
  BlockListOutcome, ChatCapabilities, LoginState, RemoteEventHandler, RemoteIdentity, RemoteMessage, RemoteNetwork, RemoteProfile, RemoteProviderInfo,
  RemoteSession, ResumedLogin, SendResult,
} from '../../src/network/remote-network';
import type { Access } from '../../src/matrix/permissions';
import { LoginAnswerRefusedError, type LoginProcess, type LoginStart, type LoginStep } from '../../src/network/login-steps';
import type { E164 } from '../../src/network/phone';
import type { AttachmentPart, Content, ContentPart } from '../../src/protocol/content';
import { SqliteBridgeStore } from '../../src/store';
import { keysAtRest, textSealer } from '../../src/connectors/at-rest';
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
  /** calls that fail while they match, until healed (one poison event among good ones) */
  private readonly conditions: { method: M; matches: (args: unknown[]) => boolean; error: () => Error }[] = [];
  /** every call made, in order: [method, args] */
  readonly calls: [M, unknown[]][] = [];

  fail(method: M, times: number, error: () => Error = unreachable): void {
    this.failures.set(method, { times, error });
  }

  /** fail every call of `method` whose arguments match, until healed */
  failWhen(method: M, matches: (args: unknown[]) => boolean, error: () => Error = unreachable): void {
    this.conditions.push({ method, matches, error });
  }

  heal(method?: M): void {
    if (method) this.failures.delete(method);
    else this.failures.clear();
    for (let i = this.conditions.length - 1; i >= 0; i--) if (!method || this.conditions[i].method === method) this.conditions.splice(i, 1);
  }

  /** records the call and throws if a failure is programmed for it */
  enter(method: M, args: unknown[]): void {
    this.calls.push([method, args]);
    const condition = this.conditions.find((c) => c.method === method && c.matches(args));
    if (condition) throw condition.error();
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
  /** the timestamp the sender asked for (appservice timestamp massaging), if any */
  ts?: number;
}

type MatrixMethod = Exclude<keyof MatrixPort, 'botUserId' | 'ghostUserId' | 'isBridgeUser'>;

export class FakeMatrix extends Faults<MatrixMethod> implements MatrixPort {
  readonly botUserId = '@interopbot:example.org';
  /** events that exist in the rooms (each txnId once, as a homeserver keeps them) */
  readonly events: SentEvent[] = [];
  readonly rooms: PortalRoomSpec[] = [];
  readonly spaces: SpaceSpec[] = [];
  readonly uploads: { asUser: string; bytes: Uint8Array; mimeType: string; fileName?: string; mxc: string }[] = [];
  readonly redactions: { asUser: string; roomId: string; eventId: string }[] = [];
  readonly encryptedRooms = new Set<string>();
  readonly media = new Map<string, Uint8Array>();
  /** room state as set last: `${roomId}|${type}|${stateKey}` → content */
  readonly state = new Map<string, Record<string, unknown>>();
  /** delays (ms) for the next setState calls, one per call: a slow homeserver */
  readonly setStateDelays: number[] = [];
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

  /** what userProfile answers, per Matrix user */
  readonly userProfiles = new Map<string, { displayName?: string; avatarMxc?: string }>();
  async userProfile(user: string): Promise<{ displayName?: string; avatarMxc?: string }> {
    this.enter('userProfile', [user]);
    return this.userProfiles.get(user) ?? {};
  }

  async createSpace(spec: SpaceSpec): Promise<string> {
    this.enter('createSpace', [spec]);
    this.spaces.push(spec);
    return `!space${this.spaces.length}:example.org`;
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

  async sendEvent(asUser: string, roomId: string, eventType: string, content: object, txnId?: string, options: { ts?: number } = {}): Promise<string> {
    this.enter('sendEvent', [asUser, roomId, eventType, content, txnId, options]);
    const again = txnId === undefined ? undefined : this.events.find((e) => e.txnId === txnId && e.asUser === asUser);
    if (again) return again.eventId;
    const eventId = `$event${++this.counter}`;
    this.events.push({ asUser, roomId, eventType, content: content as Record<string, unknown>, txnId, eventId, ts: options.ts });
    return eventId;
  }

  async ping(): Promise<void> {
    this.enter('ping', []);
  }

  async setState(...args: [string, string, string, string, Record<string, unknown>]): Promise<void> {
    this.enter('setState', args);
    const delay = this.setStateDelays.shift();
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    const [, roomId, type, key, content] = args;
    this.state.set(`${roomId}|${type}|${key}`, content);
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

  /** into a room in `encryptedRooms`, the real attachment encryption, as the real port does */
  async uploadRoomMedia(asUser: string, roomId: string, bytes: Uint8Array, mimeType: string, fileName?: string): Promise<RoomMedia> {
    this.enter('uploadRoomMedia', [asUser, roomId, bytes, mimeType, fileName]);
    if (!this.encryptedRooms.has(roomId)) return this.uploadMedia(asUser, bytes, mimeType, fileName);
    const { ciphertext, info } = await encryptAttachment(bytes);
    return { file: { ...info, url: await this.uploadMedia(asUser, ciphertext, 'application/octet-stream') } };
  }

  async decryptMedia(ciphertext: Uint8Array, file: unknown): Promise<Uint8Array> {
    this.enter('decryptMedia', [ciphertext, file]);
    return decryptForDelivery(ciphertext, file);
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

type SessionMethod =
  | 'send' | 'sendTyping' | 'sendReadStatus' | 'sendDeliveredStatus' | 'uploadAttachment' | 'downloadAttachment' | 'fetchProfile' | 'identity' | 'setBlockList'
  | 'publishProfile' | 'listProviders';

export class FakeSession extends Faults<SessionMethod> implements RemoteSession {
  /** what reached the network, in order */
  readonly sent: { to: E164; content: Content }[] = [];
  readonly attachments = new Map<string, Uint8Array>();
  /** the network's profiles by number (shared by the sessions of one FakeNetwork, as a directory is) */
  readonly profiles: Map<string, RemoteProfile>;
  /** what identity() answers per contact (none: no Signal session yet) */
  readonly identities = new Map<string, RemoteIdentity>();
  /** every block list handed to the network that it accepted, in order */
  readonly blockLists: E164[][] = [];
  /** what setBlockList answers: the network blocks, or it has no block lists */
  blockListOutcome: BlockListOutcome = 'network';
  /** while set, setBlockList waits for it (a network that is slow to answer) */
  blockListGate?: Promise<void>;
  /** while set, identity() waits for it (a slow Signal store, say) */
  identityGate?: Promise<void>;
  /** what listProviders answers (shared by the sessions of one FakeNetwork): the list, or
   *  'unsupported' for a network without one */
  providers: () => RemoteProviderInfo[] | 'unsupported';
  disconnected = false;
  /** set: the network assigns message IDs of its own (`net-1`, …) and answers them from send */
  assignsIds = false;
  private assigned = 0;
  /** what every chat of this session can carry (ChatCapabilities); unset: everything */
  chatCapabilities?: ChatCapabilities;
  private counter = 0;

  constructor(
    readonly phone: E164,
    readonly handler: RemoteEventHandler,
    profiles = new Map<string, RemoteProfile>(),
    providers: () => RemoteProviderInfo[] | 'unsupported' = () => 'unsupported',
  ) {
    super();
    this.profiles = profiles;
    this.providers = providers;
  }

  async send(to: E164, content: Content): Promise<SendResult> {
    this.enter('send', [to, content]);
    this.sent.push({ to, content });
    return { serverTimestamp: Date.now(), encrypted: true, ...(this.assignsIds && { messageId: `net-${++this.assigned}` }) };
  }

  capabilities(): ChatCapabilities {
    return this.chatCapabilities ?? {};
  }

  async sendTyping(to: E164, typing: boolean): Promise<void> {
    this.enter('sendTyping', [to, typing]);
  }

  async sendReadStatus(to: E164, messageIds: string[]): Promise<void> {
    this.enter('sendReadStatus', [to, messageIds]);
  }

  async sendDeliveredStatus(to: E164, messageIds: string[]): Promise<void> {
    this.enter('sendDeliveredStatus', [to, messageIds]);
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

  /** every own profile published, in order (the network's copy is profiles.get(phone)) */
  readonly published: { displayName: string | null; avatar: Uint8Array | null }[] = [];
  async publishProfile(profile: { displayName: string | null; avatar: Uint8Array | null }): Promise<void> {
    this.enter('publishProfile', [profile]);
    this.published.push(profile);
    this.profiles.set(this.phone, {
      ...(profile.displayName !== null && { displayName: profile.displayName }),
      ...(profile.avatar && { avatarRef: `avatar-${this.published.length}` }),
    });
  }

  async downloadAvatar(): Promise<Uint8Array> {
    throw new Error('no avatars in the fake network');
  }

  async identity(contact: E164): Promise<{ safetyNumber: string; fingerprint: string } | undefined> {
    this.enter('identity', [contact]);
    if (this.identityGate) await this.identityGate;
    return this.identities.get(contact);
  }

  async setBlockList(blocked: readonly E164[]): Promise<BlockListOutcome> {
    this.enter('setBlockList', [blocked]);
    if (this.blockListGate) await this.blockListGate;
    this.blockLists.push([...blocked]);
    return this.blockListOutcome;
  }

  async listProviders(): Promise<RemoteProviderInfo[] | 'unsupported'> {
    this.enter('listProviders', []);
    const list = this.providers();
    return list === 'unsupported' ? list : list.map((p) => ({ ...p }));
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

  /** A remote message of several parts (texts, attachments stored on this fake network). */
  static message(from: E164, messageId: string, parts: ContentPart[], timestamp = Date.now()): RemoteMessage {
    return {
      from,
      sender: { provider: 'native', e2ee: true, bridged: false },
      content: { kind: 'message', messageId, timestamp, parts } as Content,
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

const CODE_STEP: LoginStep = {
  kind: 'user_input', id: 'code', instructions: 'The network is sending a one-time code.',
  fields: [{ id: 'code', type: 'code', prompt: 'The one-time code' }],
};

export class FakeNetwork implements RemoteNetwork {
  readonly id = 'fake';
  readonly displayName = 'Fake network';
  readonly sessions = new Map<string, FakeSession>();
  /** the directory's profiles, by number, seen by every session */
  readonly profiles = new Map<string, RemoteProfile>();
  /** what every session's listProviders answers; 'unsupported': a network without the list */
  providers: RemoteProviderInfo[] | 'unsupported' = [
    { id: 'native', e2ee: true },
    { id: 'plainchat', e2ee: false },
  ];
  /** connect() fails while this is set */
  refuseConnect?: () => Error;
  /** the next session made fails this method this many times from its start (before core's
   *  on-connect work can run), then the setting is used up */
  failNextSessions?: { method: SessionMethod; times: number };
  /** each step of beginLogin()'s login fails while this is set */
  refuseLogin?: () => Error;
  private connectGate?: Promise<void>;

  /** holds every connect() until the returned function is called (a connect in flight) */
  holdConnect(): () => void {
    let release = () => {};
    this.connectGate = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.connectGate = undefined;
      release();
    };
  }

  /** A phone-and-code login, as the interop network's: the number, then the code (any code
   *  but `000000` is right); each step fails while refuseLogin is set. `codeRequested` is
   *  called when the number is submitted (the code would be sent now). */
  async beginLogin(): Promise<LoginStart> {
    const first: LoginStep = {
      kind: 'user_input', id: 'phone', instructions: 'Link your phone number.',
      fields: [{ id: 'phone', type: 'phone', prompt: 'Your phone number, with country code' }],
    };
    return { first, process: this.loginProcess() };
  }

  /** what core asked to resume after a restart (resumeLogin), in order */
  readonly resumed: ResumedLogin[] = [];

  /** Resumes a login at its code step, for the number the answers name. */
  async resumeLogin(_userKey: string, saved: ResumedLogin): Promise<LoginStart> {
    this.resumed.push(saved);
    if (this.refuseLogin) throw this.refuseLogin();
    if (saved.step !== 'code') throw new Error(`cannot resume at step ${saved.step}`);
    return { first: CODE_STEP, process: this.loginProcess(saved.answers.phone as E164) };
  }

  private loginProcess(asked?: E164): LoginProcess {
    let phone = asked;
    const process: LoginProcess = {
      submit: async (values) => {
        if (this.refuseLogin) throw this.refuseLogin();
        if (!phone) {
          phone = values.phone as E164;
          this.codeRequested?.(phone);
          return CODE_STEP;
        }
        await this.codeChecked?.(values.code);
        if (values.code === '000000') throw new LoginAnswerRefusedError('That code is wrong.');
        return { kind: 'complete', login: { phone, data: {} } };
      },
      wait: () => Promise.reject(new Error('nothing to wait on')),
      cancel: async () => {},
    };
    return process;
  }

  /** told when a login's number is submitted, before the step answers */
  codeRequested?: (phone: E164) => void;
  /** awaited when a login's code is submitted, before it is checked */
  codeChecked?: (code: string) => Promise<void>;

  async connect(userKey: string, login: LoginState, handler: RemoteEventHandler): Promise<RemoteSession> {
    if (this.connectGate) await this.connectGate;
    if (this.refuseConnect) throw this.refuseConnect();
    const session = new FakeSession(login.phone, handler, this.profiles, () => this.providers);
    if (this.failNextSessions) session.fail(this.failNextSessions.method, this.failNextSessions.times);
    this.failNextSessions = undefined;
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

/** The metrics port, recording every call in order. */
export class RecordingMetrics implements BridgeMetrics {
  readonly calls: (
    | { call: 'bridged'; direction: Direction; kind: MessageKind }
    | { call: 'failed'; direction: Direction; reason: FailureReason }
    | { call: 'latency'; direction: Direction; seconds: number }
    | { call: 'blocked'; kind: BlockedKind }
    | { call: 'request'; event: RequestEvent }
    | { call: 'providerBlocked'; kind: BlockedKind }
  )[] = [];
  bridged(direction: Direction, kind: MessageKind): void {
    this.calls.push({ call: 'bridged', direction, kind });
  }
  failed(direction: Direction, reason: FailureReason): void {
    this.calls.push({ call: 'failed', direction, reason });
  }
  latency(direction: Direction, seconds: number): void {
    this.calls.push({ call: 'latency', direction, seconds });
  }
  blocked(kind: BlockedKind): void {
    this.calls.push({ call: 'blocked', kind });
  }
  request(event: RequestEvent): void {
    this.calls.push({ call: 'request', event });
  }
  providerBlocked(kind: BlockedKind): void {
    this.calls.push({ call: 'providerBlocked', kind });
  }
}

export interface CoreHarness {
  config: BridgeConfig;
  store: SqliteBridgeStore;
  matrix: FakeMatrix;
  network: FakeNetwork;
  log: RecordingLogger;
  metrics: RecordingMetrics;
  core: BridgeCore;
  dir: string;
  /** logs `owner` in with `phone` and waits until its session is connected */
  login(owner: string, phone: E164): Promise<FakeSession>;
  /** runs a management-room command as `sender` (as the bot would) and returns its replies
   *  so far; later replies (from background work) keep arriving in the same array */
  command(sender: string, text: string, access?: Access): Promise<string[]>;
  stop(): Promise<void>;
}

/** Short delivery delays so retry tests run in milliseconds. */
function testConfig(dir: string, adjust?: (config: BridgeConfig) => void): BridgeConfig {
  const config = parseConfig(readFileSync(join(repoRoot, 'config.sample.yaml'), 'utf8'), 'config.sample.yaml');
  // kept beside the database, so a harness restarted on the same directory opens what the
  // first one sealed, as a restarted bridge with the same config does
  const secretFile = join(dir, 'key_store_secret');
  if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString('base64'), { mode: 0o600 });
  config.security.key_store_secret = readFileSync(secretFile, 'utf8');
  config.bridge.delivery.retry_initial_ms = 5;
  config.bridge.delivery.retry_max_ms = 20;
  config.bridge.delivery.delayed_after_ms = 50;
  // the delivery-path tests speak as established contacts whose first message opens the
  // portal; tests/unit/core/message-requests.test.ts turns requests on
  config.bridge.message_requests.enabled = false;
  adjust?.(config);
  return config;
}

export async function startCoreHarness(
  /** `remote`: a real connector for core instead of `network` (which then stays unused) */
  opts: { adjust?: (config: BridgeConfig) => void; dir?: string; network?: FakeNetwork; remote?: RemoteNetwork } = {},
): Promise<CoreHarness> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'core-harness-'));
  const config = testConfig(dir, opts.adjust);
  config.database.path = join(dir, 'bridge.db');
  const store = SqliteBridgeStore.open(config.database.path);
  // the sealer the composition gives core (runtime.ts), from the same secret
  const sealer = textSealer(await keysAtRest(config.security.key_store_secret));
  const matrix = new FakeMatrix();
  const network = opts.network ?? new FakeNetwork();
  const log = new RecordingLogger();
  const metrics = new RecordingMetrics();
  const core = new BridgeCore(config, store, matrix, opts.remote ?? network, log, sealer, metrics);
  await core.start();
  // one set of command handlers, as the bot registers them once
  const commands = core.commands();
  const harness: CoreHarness = {
    config, store, matrix, network, log, metrics, core, dir,
    async login(owner, phone) {
      await store.users.ensure(owner);
      await store.logins.put(owner, phone, {});
      const login = await store.logins.get(owner);
      if (!login) throw new Error('login not stored');
      await core.sessions.connect(login);
      const session = network.sessions.get(owner);
      if (!session) throw new Error(`session of ${owner} did not connect`);
      return session;
    },
    async command(sender, text, access = 'user') {
      const [name, ...args] = text.trim().split(/\s+/);
      const command = commands.find((c) => c.name === name);
      if (!command) throw new Error(`no command ${name}`);
      const replies: string[] = [];
      await command.handler({ sender, access, roomId: '!management:example.org', args, reply: async (plain) => void replies.push(plain) });
      return replies;
    },
    async stop() {
      await core.stop();
      await store.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}
