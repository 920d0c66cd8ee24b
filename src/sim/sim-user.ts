/**
 * A simulated remote person: one phone number on the reference interop network, with a
 * real Signal identity and sessions (SQLite), driven from code (tests, benchmarks) or from
 * the interop-sim REPL. Behaves like a phone: sends "delivered" when a message arrives,
 * keeps a chat log with edits, deletes, reactions and receipts applied.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { AttachmentKind, AttachmentPart, Content, ContentPart } from '../protocol/content';
import type { Profile, ReceiptStatus } from '../protocol/frames';
import { InteropClient } from '../interop-client/client';
import { InteropConnection } from '../interop-client/connection';
import type { BackoffOptions } from '../lib/backoff';
import { SignalDatabase } from '../interop-client/signal/sqlite-database';
import type {
  GroupSendResult, IdentityChangedEvent, IncomingGroupMessage, IncomingGroupUpdate, IncomingMessage, IncomingStatus, IncomingTyping, SendResult,
  UnreadableMessage,
} from '../interop-client/types';
import type { SignalAccountStores } from '../interop-client/signal/stores';
import type { ProtocolVersion } from '../protocol/frames';
import { ChatLog, type ChatMessage, type ChatSummary } from './chat-log';

export interface SimUserOptions {
  /** ws:// URL of the gateway */
  url: string;
  phone: string;
  /** provider this person's app belongs to, and its secret from the gateway's config */
  provider: string;
  secret: string;
  /** directory for the Signal key database (one file per phone); or give `databaseFile` */
  dataDir?: string;
  databaseFile?: string;
  displayName?: string;
  /** send "delivered" for every message received (default true, like a phone) */
  autoDelivered?: boolean;
  /** where the registration code comes from when the gateway does not return it (production mode) */
  codeProvider?: (phone: string) => Promise<string>;
  reconnect?: Partial<BackoffOptions> | false;
  /** refuse the first send after a contact's key changed (see InteropClientOptions) */
  holdOnIdentityChange?: boolean;
  preKeyBatch?: number;
  kyberPreKeyBatch?: number;
  /** the protocol version to ask the gateway for (default the newest; 1: an app without groups) */
  protocolVersion?: ProtocolVersion;
}

export interface SimUserEvents {
  message: [IncomingMessage];
  status: [IncomingStatus];
  typing: [IncomingTyping];
  unreadable: [UnreadableMessage];
  identityChanged: [IdentityChangedEvent];
  groupMessage: [IncomingGroupMessage];
  groupUpdate: [IncomingGroupUpdate];
  warning: [Error];
}

export interface SendFileOptions {
  fileName?: string;
  mimeType?: string;
  kind?: AttachmentKind;
  caption?: string;
}

export class SimUser extends EventEmitter<SimUserEvents> {
  readonly phone: string;
  readonly chats = new ChatLog();
  /** every message received, in order of arrival (tests inspect it) */
  readonly received: IncomingMessage[] = [];
  readonly statuses: IncomingStatus[] = [];
  readonly typingEvents: IncomingTyping[] = [];
  readonly identityChanges: IdentityChangedEvent[] = [];
  readonly unreadable: UnreadableMessage[] = [];
  readonly groupMessages: IncomingGroupMessage[] = [];
  readonly groupUpdates: IncomingGroupUpdate[] = [];

  private constructor(
    private readonly options: SimUserOptions,
    readonly connection: InteropConnection,
    readonly client: InteropClient,
    private readonly db: SignalDatabase,
  ) {
    super();
    this.phone = options.phone;
    client.on('message', (m) => this.onMessage(m));
    client.on('status', (s) => {
      this.statuses.push(s);
      this.chats.applyStatus(s.sender.phone, s.status, s.messageIds);
      this.emit('status', s);
    });
    client.on('typing', (t) => {
      this.typingEvents.push(t);
      this.emit('typing', t);
    });
    client.on('unreadable', (u) => {
      this.unreadable.push(u);
      this.emit('unreadable', u);
    });
    client.on('identityChanged', (e) => {
      this.identityChanges.push(e);
      this.emit('identityChanged', e);
    });
    client.on('groupMessage', (m) => {
      this.groupMessages.push(m);
      this.emit('groupMessage', m);
    });
    client.on('groupUpdate', (u) => {
      this.groupUpdates.push(u);
      this.emit('groupUpdate', u);
    });
    client.on('warning', (e) => this.emit('warning', e));
  }

  /** Connects and loads a previously registered device; call register() for a new number. */
  static async create(options: SimUserOptions): Promise<SimUser> {
    const file = options.databaseFile ?? join(options.dataDir ?? '.', `sim-${options.phone.replace(/\W/g, '')}.db`);
    const db = new SignalDatabase(file);
    const connection = new InteropConnection({
      url: options.url,
      provider: options.provider,
      secret: options.secret,
      reconnect: options.reconnect,
      ...(options.protocolVersion !== undefined && { protocolVersion: options.protocolVersion }),
    });
    try {
      await connection.connect();
    } catch (err) {
      db.close();
      throw err;
    }
    const client = new InteropClient({
      connection,
      phone: options.phone,
      stores: db.forAccount(options.phone),
      device: { bridged: false, name: 'interop-sim' },
      autoAck: true,
      holdOnIdentityChange: options.holdOnIdentityChange,
      preKeyBatch: options.preKeyBatch,
      kyberPreKeyBatch: options.kyberPreKeyBatch,
    });
    const sim = new SimUser(options, connection, client, db);
    if ((await client.load()) !== undefined) await client.start();
    return sim;
  }

  get deviceId(): number | undefined {
    return this.client.deviceId;
  }

  get registered(): boolean {
    return this.client.deviceId !== undefined;
  }

  /** Proves the number with the one-time code, registers a device and starts receiving. */
  async register(): Promise<number> {
    if (this.registered) return this.client.deviceId as number;
    const req = await this.client.requestCode();
    const code = req.devCode ?? (await this.options.codeProvider?.(this.phone));
    if (!code) throw new Error(`no verification code for ${this.phone}: gateway is not in dev mode and no codeProvider was given`);
    await this.client.confirmCode(code);
    const deviceId = await this.client.registerDevice();
    if (this.options.displayName) await this.client.setProfile(this.options.displayName);
    await this.client.start();
    return deviceId;
  }

  private onMessage(m: IncomingMessage): void {
    this.received.push(m);
    this.chats.apply(m.sender.phone, 'them', m.content, {
      serverTimestamp: m.serverTimestamp,
      encrypted: m.encrypted,
      bridged: m.sender.bridged,
    });
    this.emit('message', m);
    if ((this.options.autoDelivered ?? true) && m.content.kind !== 'reaction') {
      this.client.sendStatus(m.sender.phone, 'delivered', [m.content.messageId]).catch((err: Error) => this.emit('warning', err));
    }
  }

  /** Sends content and records it in the chat log. */
  async send(to: string, content: Content): Promise<SendResult> {
    const result = await this.client.sendContent(to, content);
    this.chats.apply(to, 'me', content, { serverTimestamp: result.serverTimestamp, encrypted: result.encrypted });
    return result;
  }

  private base(): { messageId: string; timestamp: number } {
    return { messageId: randomUUID(), timestamp: Date.now() };
  }

  async sendText(to: string, body: string, opts: { inReplyTo?: string; format?: 'plain' | 'markdown-wa' } = {}): Promise<string> {
    const content: Content = {
      kind: 'message',
      ...this.base(),
      parts: [{ type: 'text', body, format: opts.format ?? 'plain' }],
      ...(opts.inReplyTo ? { inReplyTo: opts.inReplyTo } : {}),
    };
    await this.send(to, content);
    return content.messageId;
  }

  reply(to: string, inReplyTo: string, body: string): Promise<string> {
    return this.sendText(to, body, { inReplyTo });
  }

  async react(to: string, target: string, emoji: string): Promise<string> {
    const content: Content = { kind: 'reaction', ...this.base(), target, emoji };
    await this.send(to, content);
    return content.messageId;
  }

  async edit(to: string, target: string, body: string): Promise<string> {
    const content: Content = { kind: 'message', ...this.base(), replaces: target, parts: [{ type: 'text', body, format: 'plain' }] };
    await this.send(to, content);
    return content.messageId;
  }

  async delete(to: string, target: string): Promise<string> {
    const content: Content = { kind: 'message', ...this.base(), replaces: target, parts: [] };
    await this.send(to, content);
    return content.messageId;
  }

  async sendFile(to: string, data: Uint8Array, opts: SendFileOptions = {}): Promise<{ messageId: string; part: AttachmentPart }> {
    const part = await this.client.uploadAttachment(data, {
      kind: opts.kind ?? 'file',
      mimeType: opts.mimeType ?? 'application/octet-stream',
      ...(opts.fileName ? { fileName: opts.fileName } : {}),
      ...(opts.caption ? { caption: opts.caption } : {}),
    });
    const parts: ContentPart[] = [part];
    const content: Content = { kind: 'message', ...this.base(), parts };
    await this.send(to, content);
    return { messageId: content.messageId, part };
  }

  /** Downloads and decrypts an attachment received in a message (digest checked first). */
  download(part: AttachmentPart): Promise<Uint8Array> {
    return this.client.downloadAttachment(part);
  }

  async typing(to: string, state: 'started' | 'stopped'): Promise<void> {
    await this.client.sendTyping(to, state);
  }

  /** Marks every unread message from `peer` read and tells them; returns the ids. */
  async markRead(peer: string): Promise<string[]> {
    const ids = this.chats.markRead(peer);
    if (ids.length > 0) await this.client.sendStatus(peer, 'read', ids);
    return ids;
  }

  sendReceipt(peer: string, status: ReceiptStatus, messageIds: string[]): Promise<unknown> {
    return this.client.sendStatus(peer, status, messageIds);
  }

  chatList(): ChatSummary[] {
    return this.chats.summaries();
  }

  history(peer: string): ChatMessage[] {
    return this.chats.history(peer);
  }

  safetyNumbers(peer: string): Promise<Array<{ deviceId: number; safetyNumber: string; fingerprint: string }>> {
    return this.client.safetyNumbers(peer);
  }

  profile(phone: string): Promise<Profile> {
    return this.client.getProfile(phone);
  }

  /** Resolves with the first event (already seen or future) that matches; rejects after timeoutMs. */
  waitFor<K extends 'message' | 'status' | 'typing' | 'unreadable' | 'identityChanged' | 'groupMessage' | 'groupUpdate'>(
    event: K,
    match: (value: SimUserEvents[K][0]) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<SimUserEvents[K][0]> {
    const seen = {
      message: this.received,
      status: this.statuses,
      typing: this.typingEvents,
      unreadable: this.unreadable,
      identityChanged: this.identityChanges,
      groupMessage: this.groupMessages,
      groupUpdate: this.groupUpdates,
    }[event] as Array<SimUserEvents[K][0]>;
    const already = seen.find(match);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const listener = (value: SimUserEvents[K][0]) => {
        if (!match(value)) return;
        clearTimeout(timer);
        this.off(event, listener as never);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.off(event, listener as never);
        reject(new Error(`${this.phone}: no ${event} matching within ${timeoutMs} ms`));
      }, timeoutMs);
      this.on(event, listener as never);
    });
  }

  /** Sends a text to a group (protocol version 2); returns its messageId. */
  async sendGroupText(groupId: string, body: string): Promise<{ messageId: string; result: GroupSendResult }> {
    const messageId = randomUUID();
    const result = await this.client.groups.send(groupId, {
      kind: 'message', messageId, timestamp: Date.now(), parts: [{ type: 'text', body, format: 'plain' }],
    });
    return { messageId, result };
  }

  /** This person's Signal key stores (tests look inside, as an attacker with the device would). */
  keyStores(): SignalAccountStores {
    return this.db.forAccount(this.phone);
  }

  /** Stops receiving, closes the socket and the key database. */
  async close(): Promise<void> {
    await this.client.stop().catch(() => undefined);
    await this.connection.close();
    this.db.close();
  }
}
