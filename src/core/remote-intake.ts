/**
 * Remote → Matrix for one Matrix user's session. Each portal's events are handled in order
 * (one queue per portal); the head of a portal's line is retried for as long as its failure
 * is transient (persistence.ts), so nothing behind it overtakes it, while other portals go on.
 * A remote message is acknowledged to the network only after its Matrix events are sent and
 * their IDs stored, or after a notice that says why it cannot be shown. A redelivered or
 * retried message is recognised by its remote ID and only its missing parts are sent, with
 * deterministic transaction IDs so even a crash between sending and storing yields no
 * duplicate. docs/delivery.md describes the whole model.
 */
import {
  noticeContent, remoteToMatrix, wellFormed, type MatrixAction,
} from '../convert';
import { displayPhone, type E164 } from '../network/phone';
import type { RemoteEventHandler, RemoteMessage, UnreadableRemoteMessage } from '../network/remote-network';
import type { Content } from '../protocol/content';
import { confirmDelivered, countBridged } from './bridged-message';
import { type CoreContext } from './context';
import type { SecurityKeeper } from './security-keeper';
import { heldMessagesNotice, refusedMessageNotice } from '../security/notices';
import type { HopTrail } from '../security/hop-trail';
import { DELAYED_KEY } from '../security/namespace';
import { KeyedQueue, portalKey } from './keyed-queue';
import type { MessageRequests } from './message-requests';
import type { ProviderFilter } from './provider-filter';
import { GivenUp, Persistence, Stopped, type Ending } from './persistence';
import type { Portals, ReadyPortal } from './portals';
import { RequestDelivery, type RequestOutcome } from './request-delivery';
import { moveRemoteMedia, wantedParts } from './remote-media';
import type { RemoteJob } from './remote-job';
import { givenUpNotice, lateNotice } from './remote-notices';
import { remoteTxnId as txnId } from './remote-txn-id';
import { ReadReceipts } from './read-receipts';
import { TYPING_REFRESH_MS, TYPING_TIMEOUT_MS, TypingRelay } from './typing-relay';
import { UnreadableStreaks } from './unreadable-streaks';
import type { BridgeStore } from '../store';


export class RemoteIntake implements RemoteEventHandler {
  private readonly persistence: Persistence;
  /** contacts whose last bridged message went late: a stretch of late messages gets one notice */
  private readonly late = new Set<string>();
  private readonly unreadable: UnreadableStreaks;
  /** summaries of unreadable stretches, due when their window ends (by contact) */
  private readonly summaryTimers = new Map<string, NodeJS.Timeout>();
  /** what an accepted message request held, delivered through receive() */
  private readonly requestDelivery: RequestDelivery;
  /** remote typing, with repeats of the same state left out (typing-relay.ts) */
  private readonly typing: TypingRelay;
  /** read statuses as receipts, an older one waiting in line covered by a newer (read-receipts.ts) */
  private readonly receipts: ReadReceipts;

  constructor(
    private readonly ctx: CoreContext,
    private readonly portals: Portals,
    private readonly security: SecurityKeeper,
    private readonly queue: KeyedQueue,
    private readonly owner: string,
    private readonly requests: MessageRequests,
    private readonly providers: ProviderFilter,
    private readonly onConnection: (connected: boolean) => void,
  ) {
    this.persistence = new Persistence(ctx);
    this.unreadable = new UnreadableStreaks(ctx, security, owner, async (contact) => (await portals.ensure(owner, contact)).roomId);
    this.receipts = new ReadReceipts(ctx.store.messages, owner);
    this.typing = new TypingRelay(
      (contact, typing) => this.sendTyping(contact as E164, typing),
      (message) => ctx.log.warn(`typing for ${owner} not bridged: ${message}`),
      TYPING_REFRESH_MS,
    );
    this.requestDelivery = new RequestDelivery(ctx, portals, security, this.persistence, owner, {
      inPortal: (contact, task) => this.inPortal(contact, task),
      receive: (message, job) => this.receive(message, job),
      reportGivenUp: (message, ending) => this.reportGivenUp(message, ending),
    });
  }

  /** Once connected: stretches of unreadable messages a crash left unsummarised get their summary. */
  async resume(): Promise<void> {
    for (const contact of (await this.unreadable.unreported())) this.summaryAt(contact, Date.now());
  }

  /** Ends the retries in progress: their envelopes stay with the network, unacknowledged. */
  stop(): void {
    for (const timer of this.summaryTimers.values()) clearTimeout(timer);
    this.summaryTimers.clear();
    this.persistence.stop();
  }

  private inPortal<T>(contact: string, task: () => Promise<T>): Promise<T> {
    return this.queue.run(`in:${portalKey(this.owner, contact)}`, task);
  }

  /**
   * Message requests of one user take their turn one at a time (each still inside its own
   * contact's line, so order and accept stay as for any message): a flood from many unknown
   * numbers then holds at most one unit of work at once, and the messages of established
   * contacts do not queue behind all of it.
   */
  private inRequestLane<T>(task: () => Promise<T>): Promise<T> {
    return this.queue.run(`requests:${this.owner}`, task);
  }

  /**
   * Every remote delivery has this shape: the work, retried until it succeeds or cannot; when
   * it cannot, the notice that says why (retried the same way); then the acknowledgement.
   * Nothing here acknowledges what was neither bridged nor reported. The work and its notice
   * take their turn in the contact's line; the acknowledgement does not: it only tells the
   * network to forget the envelope (a lost one is redelivered and recognised by its remote
   * ID), so the next message of the contact need not wait for its round trip.
   */
  private async deliver(
    contact: E164, label: string, sentAt: number | undefined, ack: () => Promise<void>,
    work: () => Promise<void>, giveUp: (ending: Ending) => Promise<void>,
  ): Promise<void> {
    try {
      await this.inPortal(contact, async () => {
        try {
          await this.persistence.run(label, work, { sentAt, poison: true });
        } catch (error) {
          if (!(error instanceof GivenUp)) throw error;
          this.ctx.log.warn(`${label} given up (${error.ending.kind}): ${error.message}`);
          await this.persistence.run(`report of ${label}`, () => giveUp(error.ending));
        }
      });
      await this.persistence.run(`acknowledgement of ${label}`, ack);
    } catch (error) {
      if (error instanceof Stopped) {
        this.ctx.log.info(`${label} left with the network, unacknowledged: the session stopped`);
        return;
      }
      // the room cannot even be told (the notice was refused): the network keeps the envelope
      // and hands it over again on the next subscription
      this.ctx.log.error(`${label} neither bridged nor reported, left unacknowledged: ${(error as Error).message}`);
    }
  }

  async onMessage(message: RemoteMessage, ack: () => Promise<void>): Promise<void> {
    const job: RemoteJob = { sentAt: message.serverTimestamp, moved: new Map() };
    const label = `message ${message.content.messageId} for ${this.owner}`;
    // everything, for an admin tracing a problem; the logger hides the number and the content
    // unless logging.redact is off
    this.ctx.log.debug(`${label} received`, { from: message.from, encrypted: message.encrypted, content: message.content });
    await this.deliver(message.from, label, job.sentAt, ack, () => this.receive(message, job), async (ending) => {
      await this.reportGivenUp(message, ending);
      this.ctx.metrics.failed('remote_to_matrix', ending.kind === 'refused' ? 'rejected' : 'gave_up');
    });
  }

  private async reportGivenUp(message: RemoteMessage, ending: Ending): Promise<void> {
    const portal = await this.portals.ensure(this.owner, message.from);
    const name = (await this.ctx.store.ghosts.get(message.from))?.displayName ?? displayPhone(message.from);
    const notice = wellFormed(givenUpNotice(name, message.serverTimestamp, ending, this.ctx.config.bridge.delivery.max_age_seconds));
    const trail = await this.security.remoteTrail(this.owner, message.from, message.encrypted);
    const { matrix } = this.ctx;
    await matrix.sendEvent(matrix.botUserId, portal.roomId, 'm.room.message', this.security.mark(notice, trail),
      txnId(this.owner, message.from, message.content.messageId, 'given-up'));
  }

  /** Applies the policy, then bridges, holds or refuses the message; each with a notice. */
  private async receive(message: RemoteMessage, job: RemoteJob): Promise<void> {
    const { store } = this.ctx;
    const from = message.from;
    // blocked while it waited in line (a homeserver outage, say): dropped like what arrives
    // after the block (block-filter.ts), then acknowledged
    if (await store.blocks.isBlocked(this.owner, from)) return this.ctx.log.debug(`dropped a waiting message from a now blocked contact for ${this.owner}`);
    // the same for a provider blocked meanwhile (provider-filter.ts drops what arrives after)
    if (await this.providers.dropsWaiting(this.owner, message)) return;
    if ((await store.messages.byRemoteId(this.owner, from, message.content.messageId)).length > 0 && !this.partial(message)) return;
    // a number the user never wrote to and never accepted: a request, not a room
    if (await this.requests.isRequest(this.owner, from)) {
      await this.inRequestLane(() => this.requests.receive(this.owner, message));
      return;
    }
    // accepted, but a crash cut the delivery of what the request held short: that goes first
    await this.requestDelivery.finishCutShort(from);
    if (message.encrypted) await this.security.learnIdentity(this.owner, from);
    const record = await this.security.recordSender(this.owner, from, message.sender);
    const portal = await this.portals.ensure(this.owner, from);
    await this.security.senderRecorded(this.owner, from);
    const name = (await store.ghosts.get(from))?.displayName ?? displayPhone(from);
    const trail = await this.security.remoteTrail(this.owner, from, message.encrypted);
    const { matrix } = this.ctx;
    const notice = (n: { body: string; html: string }, part: string) =>
      matrix.sendEvent(matrix.botUserId, portal.roomId, 'm.room.message', this.security.mark(wellFormed(noticeContent(n.body, n.html)), trail),
        txnId(this.owner, from, message.content.messageId, part));
    if (this.security.refuses(record)) {
      const reason = `${name}'s provider (${message.sender.provider}) has no end-to-end encryption, and this bridge is set to refuse such contacts`;
      await notice(refusedMessageNotice({ contactName: name, reason }), 'refused');
      this.ctx.metrics.failed('remote_to_matrix', 'policy');
      return;
    }
    if (this.security.holds(record)) {
      // held content waits in the database: sealed like the keys, never in clear; held once
      // per remote ID, so a retried receive (the notice failed) does not hold it twice
      await store.held.hold(this.owner, from, { sealed: this.ctx.sealer.seal(JSON.stringify(message)) }, message.content.messageId);
      const count = await store.held.count(this.owner, from);
      await notice(heldMessagesNotice({ contactName: name, count, phone: from }), 'held');
      return;
    }
    if (await this.bridgeContent(from, message.content, message.encrypted, job)) {
      countBridged(this.ctx, message.content, job.waited ? undefined : job.sentAt);
      confirmDelivered(this.ctx, this.owner, from, message.content);
    }
  }

  /** Opens the portal of an accepted request and delivers what it held, in order
   *  (request-delivery.ts); undefined when there is no such request. */
  acceptRequest(contact: E164): Promise<RequestOutcome | undefined> {
    return this.requestDelivery.accept(contact);
  }

  /** whether a message was bridged only in part (a failure or crash between its parts) */
  private partial(message: RemoteMessage): boolean {
    return message.content.kind === 'message' && message.content.parts.length > 1;
  }

  /** Bridges messages that were held, in order, once the user confirmed the contact's key. */
  async releaseHeld(contact: E164): Promise<number> {
    return this.inPortal(contact, async () => {
      const held = await this.ctx.store.held.of(this.owner, contact);
      for (const entry of held) {
        const message = JSON.parse(this.ctx.sealer.open(String(entry.message.sealed))) as RemoteMessage;
        const bridged = await this.bridgeContent(contact, message.content, message.encrypted, { sentAt: message.serverTimestamp, moved: new Map() });
        await this.ctx.store.held.release(entry.id);
        // no latency: the wait for the user's confirmation is no delivery delay
        if (bridged) countBridged(this.ctx, message.content, undefined);
      }
      return held.length;
    });
  }

  /** Sends the events still missing; returns how many it sent (0: all were there, or nothing to show). */
  private async bridgeContent(from: E164, remote: Content, encrypted: boolean, job: RemoteJob): Promise<number> {
    // repaired once, for every use: a lone surrogate in an attachment's file name made the
    // upload's URL encoding throw (URIError), and the homeserver refuses it in events
    const content = wellFormed(remote);
    const { store } = this.ctx;
    const owner = this.owner;
    const done = new Set((await store.messages.byRemoteId(owner, from, content.messageId)).map((m) => m.part));
    const portal = await this.portals.ensure(owner, from);
    await this.portals.refreshInBackground(owner, from);
    const trail = await this.security.remoteTrail(owner, from, encrypted);
    const targetId = content.kind === 'reaction' ? content.target : content.kind === 'message' ? content.replaces : undefined;
    // only events of the current room: after a portal was left and remade, older events
    // live in a room the user no longer sees
    const inRoom = async (remoteId: string) => (await store.messages.byRemoteId(owner, from, remoteId)).filter((m) => m.roomId === portal.roomId);
    const targets = targetId ? (await inRoom(targetId)).map((m) => m.eventId) : undefined;
    const replyTo = content.kind === 'message' && content.inReplyTo ? (await inRoom(content.inReplyTo))[0]?.eventId : undefined;
    const previousReaction =
      content.kind === 'reaction'
        ? (await store.reactions.bySender(owner, from, content.target, from)).find((r) => r.roomId === portal.roomId)?.eventId
        : undefined;
    // media only for the events still missing, each part moved once however often this runs
    const editing = content.kind === 'message' && content.replaces !== undefined && (targets?.length ?? 0) > 0;
    const wanted = wantedParts(content, editing, done);
    const media = await moveRemoteMedia(this.ctx, this.ctx.session(owner), portal.ghost, portal.roomId, content, wanted, job.moved);
    const actions = remoteToMatrix(content, { replyTo, targets, previousReaction, media });
    let performed = 0;
    for (const [part, action] of actions.entries()) {
      if (done.has(part)) continue;
      await this.perform(portal, from, content, part, action, trail, job);
      performed += 1;
    }
    if (actions.length === 0 && !done.has(0)) {
      // nothing to show (a reaction to an unknown message, say): remember it was handled
      await store.messages.put({ owner, contact: from, remoteId: content.messageId, part: 0, sender: from, roomId: portal.roomId, eventId: `none:${content.messageId}`, timestamp: content.timestamp });
    }
    return performed;
  }

  /** How late this message goes out; a stretch of late ones is announced once. */
  private async lateness(portal: ReadyPortal, from: E164, content: Content, job: RemoteJob): Promise<{ ts?: number; marker?: Record<string, unknown> }> {
    const now = Date.now();
    const delay = now - job.sentAt;
    if (job.waited) return { ts: job.sentAt };
    if (delay <= this.ctx.config.bridge.delivery.delayed_after_ms) {
      this.late.delete(from);
      return {};
    }
    if (!this.late.has(from)) {
      const name = (await this.ctx.store.ghosts.get(from))?.displayName ?? displayPhone(from);
      const { matrix } = this.ctx;
      await matrix.sendEvent(matrix.botUserId, portal.roomId, 'm.room.message', wellFormed(lateNotice(name, job.sentAt, now)),
        txnId(this.owner, from, content.messageId, 'late'));
      this.late.add(from);
    }
    return { ts: job.sentAt, marker: { [DELAYED_KEY]: { sent_at: job.sentAt, delay_ms: delay } } };
  }

  private async perform(portal: ReadyPortal, from: E164, content: Content, part: number, action: MatrixAction, trail: HopTrail, job: RemoteJob): Promise<void> {
    const { store, matrix } = this.ctx;
    const owner = this.owner;
    const record = (db: BridgeStore, eventId: string) =>
      db.messages.put({ owner, contact: from, remoteId: content.messageId, part, sender: from, roomId: portal.roomId, eventId, timestamp: content.timestamp });
    if (action.type === 'redact') {
      await matrix.redact(portal.ghost, portal.roomId, action.eventId, action.reason, this.security.mark({} as Record<string, unknown>, trail));
      await store.atomically(async (tx) => {
        await tx.reactions.remove(portal.roomId, action.eventId);
        await record(tx, `redacted:${action.eventId}:${content.messageId}`);
      });
      return;
    }
    const { ts, marker } = await this.lateness(portal, from, content, job);
    const eventContent = this.security.mark({ ...action.content, ...marker }, trail);
    const sender = action.type === 'notice' ? matrix.botUserId : portal.ghost;
    const eventId = await matrix.sendEvent(sender, portal.roomId, action.eventType, eventContent, txnId(owner, from, content.messageId, part), { ts });
    await store.atomically(async (tx) => {
      if (action.type === 'reaction' && content.kind === 'reaction') {
        await tx.reactions.put({ owner, contact: from, targetRemoteId: content.target, sender: from, emoji: content.emoji, roomId: portal.roomId, eventId });
      }
      await record(tx, eventId);
    });
  }

  async onUnreadable(message: UnreadableRemoteMessage, ack: () => Promise<void>): Promise<void> {
    const label = `unreadable message for ${this.owner}`;
    const report = async () => {
      if (await this.requests.isRequest(this.owner, message.from)) {
        await this.inRequestLane(() => this.requests.receiveUnreadable(this.owner, message));
        return this.ctx.metrics.failed('remote_to_matrix', 'unreadable');
      }
      // what the envelope showed is known even when its content is not
      if (message.sender) await this.security.recordSender(this.owner, message.from, message.sender);
      // a notice, or a count that one summary reports (unreadable-streaks.ts)
      const summaryDue = await this.unreadable.report(message);
      if (summaryDue !== undefined) this.summaryAt(message.from, summaryDue);
      this.ctx.metrics.failed('remote_to_matrix', 'unreadable');
    };
    // no age limit: this notice is all that is left of the message
    await this.deliver(message.from, label, undefined, ack, report, async (ending) => {
      throw new Error(`the notice was refused (${ending.error.message})`);
    });
  }

  /** Arranges the summary of a contact's unreadable stretch (one timer per contact). */
  private summaryAt(contact: E164, at: number): void {
    if (this.summaryTimers.has(contact) || this.persistence.stopped) return;
    const timer = setTimeout(() => {
      this.summaryTimers.delete(contact);
      const label = `summary of unreadable messages for ${this.owner}`;
      this.inPortal(contact, () => this.persistence.run(label, () => this.unreadable.flush(contact))).catch((error: Error) => {
        // stopped: the next start sends it (resume); refused: the count stays for the next notice
        if (!(error instanceof Stopped)) this.ctx.log.warn(`${label} not sent: ${error.message}`);
      });
    }, Math.max(0, at - Date.now()));
    timer.unref();
    this.summaryTimers.set(contact, timer);
  }

  async onStatus(from: E164, status: 'delivered' | 'read', messageIds: string[], ack: () => Promise<void>): Promise<void> {
    const label = `${status} status for ${this.owner}`;
    // noted as it arrives, not at its turn (it is queued at once, keeping the order statuses
    // came in); a failure to note it costs at most a receipt that a newer one covers
    const arrival = this.receipts.arrived(from, status, messageIds)
      .catch((error: unknown) => this.ctx.log.warn(`${label}: not noted as the newest read: ${(error as Error).message}`));
    const bridge = async () => {
      await arrival;
      const portal = await this.ctx.store.portals.get(this.owner, from);
      const eventId = await this.receipts.due(from, status, messageIds);
      if (!eventId || !portal?.roomId) return;
      await this.ctx.matrix.sendReadReceipt(this.ctx.matrix.ghostUserId(from), portal.roomId, eventId);
    };
    // a read mark the homeserver refuses for good loses no content: said in the log, not the room
    const refused = async (ending: Ending) => this.ctx.log.warn(`${label} not bridged (${ending.kind}): ${ending.error.message}`);
    await this.deliver(from, label, undefined, ack, bridge, refused);
  }

  async onTyping(from: E164, typing: boolean): Promise<void> {
    await this.typing.update(from, typing);
  }

  private async sendTyping(from: E164, typing: boolean): Promise<boolean> {
    const portal = await this.ctx.store.portals.get(this.owner, from);
    if (!portal?.roomId) return false;
    await this.ctx.matrix.setTyping(this.ctx.matrix.ghostUserId(from), portal.roomId, typing, typing ? TYPING_TIMEOUT_MS : 0);
    return true;
  }

  async onIdentityChanged(contact: E164, change: { safetyNumber: string; fingerprint: string }): Promise<void> {
    const label = `identity change notice for ${this.owner}`;
    await this.inPortal(contact, () => this.persistence.run(label, () => this.security.identityChanged(this.owner, contact, change))).catch(
      (error: Error) => {
        if (error instanceof Stopped) return;
        this.ctx.log.error(`${label} not sent: ${error.message}`);
      },
    );
  }

  onConnectionChange(connected: boolean): void {
    this.onConnection(connected);
  }
}
