/**
 * Remote → Matrix for one Matrix user's session. Each portal's events are handled in order
 * (one queue per portal). A remote message is acknowledged to the network only after its
 * Matrix events are sent and their IDs stored; a redelivered message is recognised by its
 * remote ID and only its missing parts are sent, with deterministic transaction IDs so even a
 * crash between sending and storing yields no duplicate.
 */
import { createHash } from 'node:crypto';
import { remoteStatusToMatrix, remoteToMatrix, undeliverableNotice, type MatrixAction } from '../convert';
import { displayPhone, type E164 } from '../network/phone';
import type { RemoteEventHandler, RemoteMessage, UnreadableRemoteMessage } from '../network/remote-network';
import type { Content } from '../protocol/content';
import { type CoreContext } from './context';
import type { SecurityKeeper } from './security-keeper';
import { heldMessagesNotice, refusedMessageNotice } from '../security/notices';
import type { HopTrail } from '../security/hop-trail';
import { KeyedQueue, portalKey } from './keyed-queue';
import type { Portals, ReadyPortal } from './portals';
import { moveRemoteMedia } from './remote-media';

/** attempts at bridging one remote event while the homeserver misbehaves, before giving up
 *  for now (unacknowledged, the network redelivers it after the next reconnect) */
const ATTEMPTS = 5;

function txnId(owner: string, contact: string, remoteId: string, part: number): string {
  const digest = createHash('sha256').update(`${owner}\u0000${contact}\u0000${remoteId}\u0000${part}`).digest('base64url');
  return `mib-${digest.slice(0, 32)}`;
}

async function withRetries<T>(fn: () => Promise<T>): Promise<T> {
  let delay = 500;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
  }
}

export class RemoteIntake implements RemoteEventHandler {
  constructor(
    private readonly ctx: CoreContext,
    private readonly portals: Portals,
    private readonly security: SecurityKeeper,
    private readonly queue: KeyedQueue,
    private readonly owner: string,
    private readonly onConnection: (connected: boolean) => void,
  ) {}

  private inPortal<T>(contact: string, task: () => Promise<T>): Promise<T> {
    return this.queue.run(`in:${portalKey(this.owner, contact)}`, task);
  }

  async onMessage(message: RemoteMessage, ack: () => Promise<void>): Promise<void> {
    await this.inPortal(message.from, async () => {
      try {
        await withRetries(() => this.receive(message));
        await ack();
      } catch (error) {
        this.ctx.log.error(`message ${message.content.messageId} from ${message.from} not bridged yet: ${(error as Error).message}`);
      }
    });
  }

  /** Applies the policy, then bridges, holds or refuses the message; each with a notice. */
  private async receive(message: RemoteMessage): Promise<void> {
    const { store } = this.ctx;
    const from = message.from;
    if (store.messages.byRemoteId(this.owner, from, message.content.messageId).length > 0 && !this.partial(message)) return;
    if (message.encrypted) await this.security.learnIdentity(this.owner, from);
    const { before, after: record } = this.security.recordSender(this.owner, from, message.sender);
    const portal = await this.portals.ensure(this.owner, from);
    await this.security.senderRecorded(this.owner, from, before, record);
    const name = store.ghosts.get(from)?.displayName ?? displayPhone(from);
    const trail = this.security.remoteTrail(this.owner, from, message.encrypted);
    if (this.security.refuses(record)) {
      const reason = `${name}'s provider (${message.sender.provider}) has no end-to-end encryption, and this bridge is set to refuse such contacts`;
      await this.security.notice(portal.roomId, refusedMessageNotice({ contactName: name, reason }), trail);
      return;
    }
    if (this.security.holds(record)) {
      // held content waits in the database: sealed like the keys, never in clear
      store.held.hold(this.owner, from, { sealed: this.ctx.sealer.seal(JSON.stringify(message)) });
      const count = store.held.count(this.owner, from);
      await this.security.notice(portal.roomId, heldMessagesNotice({ contactName: name, count, phone: from }), trail);
      return;
    }
    await this.bridgeContent(from, message.content, message.encrypted);
  }

  /** whether a message was bridged only in part (a crash between its parts) */
  private partial(message: RemoteMessage): boolean {
    return message.content.kind === 'message' && message.content.parts.length > 1;
  }

  /** Bridges messages that were held, in order, once the user confirmed the contact's key. */
  async releaseHeld(contact: E164): Promise<number> {
    return this.inPortal(contact, async () => {
      const held = this.ctx.store.held.of(this.owner, contact);
      for (const entry of held) {
        const message = JSON.parse(this.ctx.sealer.open(String(entry.message.sealed))) as RemoteMessage;
        await this.bridgeContent(contact, message.content, message.encrypted);
        this.ctx.store.held.release(entry.id);
      }
      return held.length;
    });
  }

  private async bridgeContent(from: E164, content: Content, encrypted: boolean): Promise<void> {
    const { store } = this.ctx;
    const owner = this.owner;
    const done = new Set(store.messages.byRemoteId(owner, from, content.messageId).map((m) => m.part));
    const portal = await this.portals.ensure(owner, from);
    this.portals.refreshInBackground(owner, from);
    const trail = this.security.remoteTrail(owner, from, encrypted);
    const targetId = content.kind === 'reaction' ? content.target : content.kind === 'message' ? content.replaces : undefined;
    // only events of the current room: after a portal was left and remade, older events
    // live in a room the user no longer sees
    const inRoom = (remoteId: string) => store.messages.byRemoteId(owner, from, remoteId).filter((m) => m.roomId === portal.roomId);
    const targets = targetId ? inRoom(targetId).map((m) => m.eventId) : undefined;
    const replyTo = content.kind === 'message' && content.inReplyTo ? inRoom(content.inReplyTo)[0]?.eventId : undefined;
    const previousReaction =
      content.kind === 'reaction'
        ? store.reactions.bySender(owner, from, content.target, from).find((r) => r.roomId === portal.roomId)?.eventId
        : undefined;
    const media = done.size > 0 ? {} : await moveRemoteMedia(this.ctx, this.ctx.session(owner), portal.ghost, content);
    const actions = remoteToMatrix(content, { replyTo, targets, previousReaction, media });
    for (const [part, action] of actions.entries()) {
      if (done.has(part)) continue;
      await this.perform(portal, from, content, part, action, trail);
    }
    if (actions.length === 0 && !done.has(0)) {
      // nothing to show (a reaction to an unknown message, say): remember it was handled
      store.messages.put({ owner, contact: from, remoteId: content.messageId, part: 0, sender: from, roomId: portal.roomId, eventId: `none:${content.messageId}`, timestamp: content.timestamp });
    }
  }

  private async perform(portal: ReadyPortal, from: E164, content: Content, part: number, action: MatrixAction, trail: HopTrail): Promise<void> {
    const { store, matrix } = this.ctx;
    const marked = <T extends object>(c: T): T => this.security.mark(c, trail);
    const owner = this.owner;
    const record = (eventId: string) =>
      store.messages.put({ owner, contact: from, remoteId: content.messageId, part, sender: from, roomId: portal.roomId, eventId, timestamp: content.timestamp });
    switch (action.type) {
      case 'redact': {
        await matrix.redact(portal.ghost, portal.roomId, action.eventId, action.reason, marked({} as Record<string, unknown>));
        store.atomically(() => {
          store.reactions.remove(portal.roomId, action.eventId);
          record(`redacted:${action.eventId}:${content.messageId}`);
        });
        return;
      }
      case 'notice': {
        const eventId = await matrix.sendEvent(matrix.botUserId, portal.roomId, action.eventType, marked(action.content), txnId(owner, from, content.messageId, part));
        record(eventId);
        return;
      }
      case 'reaction': {
        const eventId = await matrix.sendEvent(portal.ghost, portal.roomId, action.eventType, marked(action.content), txnId(owner, from, content.messageId, part));
        store.atomically(() => {
          if (content.kind === 'reaction') {
            store.reactions.put({ owner, contact: from, targetRemoteId: content.target, sender: from, emoji: content.emoji, roomId: portal.roomId, eventId });
          }
          record(eventId);
        });
        return;
      }
      case 'message': {
        const eventId = await matrix.sendEvent(portal.ghost, portal.roomId, action.eventType, marked(action.content), txnId(owner, from, content.messageId, part));
        record(eventId);
        return;
      }
    }
  }

  async onUnreadable(message: UnreadableRemoteMessage, ack: () => Promise<void>): Promise<void> {
    await this.inPortal(message.from, async () => {
      try {
        const portal = await this.portals.ensure(this.owner, message.from);
        const notice = undeliverableNotice(
          'a message',
          `It arrived from ${displayPhone(message.from)} but could not be read (${message.reason}). Ask them to send it again.`,
        );
        const trail = this.security.remoteTrail(this.owner, message.from, null);
        await this.ctx.matrix.sendEvent(this.ctx.matrix.botUserId, portal.roomId, 'm.room.message', this.security.mark(notice, trail));
        await ack();
      } catch (error) {
        this.ctx.log.error(`unreadable message from ${message.from} not reported: ${(error as Error).message}`);
      }
    });
  }

  async onStatus(from: E164, status: 'delivered' | 'read', messageIds: string[], ack: () => Promise<void>): Promise<void> {
    await this.inPortal(from, async () => {
      const { store, matrix } = this.ctx;
      const portal = store.portals.get(this.owner, from);
      const events = messageIds.flatMap((id) =>
        store.messages.byRemoteId(this.owner, from, id).filter((m) => m.eventId.startsWith('$')).slice(0, 1).map((m) => ({ eventId: m.eventId, ts: m.timestamp })),
      );
      const action = remoteStatusToMatrix(status, events);
      try {
        if (action.type === 'read-receipt' && portal?.roomId) {
          await matrix.sendReadReceipt(matrix.ghostUserId(from), portal.roomId, action.eventId);
        }
        await ack();
      } catch (error) {
        this.ctx.log.warn(`read status from ${from} not bridged: ${(error as Error).message}`);
      }
    });
  }

  async onTyping(from: E164, typing: boolean): Promise<void> {
    const portal = this.ctx.store.portals.get(this.owner, from);
    if (!portal?.roomId) return;
    await this.ctx.matrix
      .setTyping(this.ctx.matrix.ghostUserId(from), portal.roomId, typing, typing ? 30_000 : 0)
      .catch((error: Error) => this.ctx.log.warn(`typing from ${from} not bridged: ${error.message}`));
  }

  async onIdentityChanged(contact: E164, change: { safetyNumber: string; fingerprint: string }): Promise<void> {
    await this.inPortal(contact, () => this.security.identityChanged(this.owner, contact, change)).catch((error: Error) =>
      this.ctx.log.warn(`identity change of ${contact} not reported: ${error.message}`),
    );
  }

  onConnectionChange(connected: boolean): void {
    this.onConnection(connected);
  }
}
