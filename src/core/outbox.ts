/**
 * Matrix → remote. Events from a portal's owner are sealed into the durable outbox first
 * (a replayed event is recognised by its event ID), then a worker per portal sends them in
 * order. A transient failure (network down, session disconnected, homeserver 5xx while the
 * media is fetched) retries the head job with backoff, with no retry count, and blocks the
 * jobs behind it, so order is kept; other portals go on. A permanent failure (a refusal,
 * content that cannot be made valid) ends the job at once, and so does passing
 * `bridge.delivery.max_age_seconds`: the room is told why, and the next job goes. A restart
 * resumes from the outbox. Delay and failure are also shown as status events (outbox-status.ts).
 */
import { createHash } from 'node:crypto';
import { cannotCarry, MEDIA, missingCapability } from './chat-capabilities';
import { completeMediaMessage, matrixRelations, matrixToRemote, noticeContent, type MatrixRoomEvent, type MatrixToRemote, type MatrixToRemoteRefs } from '../convert';
import { backoffDelay } from '../lib/backoff';
import type { E164 } from '../network/phone';
import { RemoteRefusedError } from '../network/remote-network';
import type { Content } from '../protocol/content';
import { parseContent } from '../protocol/validate';
import type { OutboxJob, PortalRecord } from '../store';
import type { CoreContext } from './context';
import { messageKind, secondsSince, type FailureReason } from './bridge-metrics';
import { failureReason, isPermanent, isServerError, PermanentDeliveryError } from './errors';
import { POISON_AFTER } from './persistence';
import { KeyedQueue, portalKey } from './keyed-queue';
import { DelayReporter, type StatusReason, type StatusTarget } from './outbox-status';
import type { SecurityKeeper } from './security-keeper';
import { toContentHopTrail } from '../security/hop-trail';
import { isPaused } from './user-settings';

type OutboxEvent = MatrixRoomEvent & { event_id: string; room_id: string; sender: string };

/** the content schema's limit for message IDs */
const MAX_MESSAGE_ID = 128;

/** The Matrix event ID is unique and stable, so a retried send is recognised by the network;
 *  one too long for the protocol is hashed (stably). */
function remoteMessageId(eventId: string): string {
  return eventId.length <= MAX_MESSAGE_ID ? eventId : `h-${createHash('sha256').update(eventId).digest('base64url')}`;
}

/** "24 h", "5 min", "30 s": a configured age as people read it */
function duration(seconds: number): string {
  if (seconds >= 3600) return `${Math.round((seconds / 3600) * 10) / 10} h`;
  if (seconds >= 60) return `${Math.round(seconds / 60)} min`;
  return `${seconds} s`;
}

/** a failure notice for the same event is one Matrix event, however often it is sent */
function noticeTxnId(eventId: string): string {
  return `mib-undelivered-${createHash('sha256').update(eventId).digest('base64url').slice(0, 32)}`;
}

/** Why a job ended without being sent: what the room is told. */
interface Refusal {
  reason: string;
  status: StatusReason;
  /** its label in the metrics */
  metric: FailureReason;
  /** the notice for the room; default: "Not delivered to the contact: <reason>" as a reply */
  notice?: Record<string, unknown>;
}

export class Outbox {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** consecutive 5xx answers while fetching a job's file (by job ID), for the poison rule */
  private readonly mediaServerErrors = new Map<number, number>();
  private readonly status: DelayReporter;
  private stopped = false;
  /** portals' drains running now: stop() lets the send in progress finish (see settle) */
  private readonly draining = new Set<Promise<void>>();

  constructor(private readonly ctx: CoreContext, private readonly queue: KeyedQueue, private readonly security: SecurityKeeper) {
    this.status = new DelayReporter(ctx, (job) => this.targetOf(job));
  }

  /** Stores a Matrix event for sending; false if it was stored before (a replay). */
  async accept(portal: PortalRecord, event: MatrixRoomEvent & { event_id: string }): Promise<boolean> {
    // sealed like held messages: what the user wrote is not readable from the database file
    const sealed = this.ctx.sealer.seal(JSON.stringify(event));
    const added = await this.ctx.store.outbox.enqueue(portal.owner, portal.contact, event.event_id, { sealed });
    if (added) {
      this.kick(portal.owner, portal.contact);
      await this.status.watch();
    }
    return added;
  }

  /** Works through a portal's pending jobs (now, in its queue). */
  kick(owner: string, contact: string): void {
    if (this.stopped) return;
    const key = `out:${portalKey(owner, contact)}`;
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    const run: Promise<void> = this.queue.run(key, () => this.drain(owner, contact, key)).finally(() => this.draining.delete(run));
    this.draining.add(run);
    void run;
  }

  /** Resolves when the sends in progress when stop() was called have finished (each job is then sent or kept for later). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.draining]);
  }

  /** Kicks every portal with pending jobs (at start, and when a session reconnects). */
  async kickAll(owner?: string): Promise<void> {
    for (const p of (await this.ctx.store.outbox.portalsWithPending())) {
      if (owner === undefined || p.owner === owner) this.kick(p.owner, p.contact);
    }
    await this.status.watch();
  }

  stop(): void {
    this.stopped = true;
    this.status.stop();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private later(owner: string, contact: string, key: string, at: number): void {
    const timer = setTimeout(() => this.kick(owner, contact), Math.max(0, at - Date.now()));
    timer.unref();
    this.timers.set(key, timer);
  }

  private async drain(owner: string, contact: string, key: string): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      // paused: the jobs wait, untried, until `resume` kicks this portal again
      if (await isPaused(this.ctx.store, owner)) return;
      const job = await this.ctx.store.outbox.nextFor(owner, contact);
      if (!job) return;
      if (job.nextAttemptAt > Date.now()) return this.later(owner, contact, key, job.nextAttemptAt);
      const retryAt = await this.attempt(job);
      if (retryAt !== undefined) return this.later(owner, contact, key, retryAt);
    }
  }

  /** The user's event, opened from its sealed form (jobs queued before sealing hold it plain). */
  private eventOf(job: OutboxJob): OutboxEvent {
    const stored = job.job;
    try {
      if (typeof stored.sealed === 'string') return JSON.parse(this.ctx.sealer.open(stored.sealed)) as OutboxEvent;
    } catch (error) {
      throw new PermanentDeliveryError(`the bridge cannot read the stored message (${(error as Error).message})`);
    }
    if (typeof stored.event === 'object' && stored.event !== null) return stored.event as OutboxEvent;
    throw new PermanentDeliveryError('the stored message is empty');
  }

  private async targetOf(job: OutboxJob): Promise<StatusTarget | undefined> {
    try {
      return { roomId: this.eventOf(job).room_id, eventId: job.sourceEventId };
    } catch {
      const roomId = (await this.ctx.store.portals.get(job.owner, job.contact))?.roomId;
      return roomId ? { roomId, eventId: job.sourceEventId } : undefined;
    }
  }

  /** When the message was written (its homeserver timestamp) or queued, whichever was first. */
  private writtenAt(job: OutboxJob, event: OutboxEvent | undefined): number {
    const ts = event?.origin_server_ts;
    return typeof ts === 'number' && Number.isSafeInteger(ts) && ts > 0 ? Math.min(ts, job.createdAt) : job.createdAt;
  }

  /** When a job is given up: max_age_seconds after the message was written or queued. */
  private expiresAt(job: OutboxJob, event: OutboxEvent | undefined): number {
    return this.writtenAt(job, event) + this.ctx.config.bridge.delivery.max_age_seconds * 1000;
  }

  /** One attempt at the head job; returns when to try again, or undefined if the job is done. */
  private async attempt(job: OutboxJob): Promise<number | undefined> {
    const { store, log, config } = this.ctx;
    let event: OutboxEvent | undefined;
    let refusal: Refusal | undefined;
    try {
      event = this.eventOf(job);
      if (Date.now() >= this.expiresAt(job, event)) {
        const age = duration(config.bridge.delivery.max_age_seconds);
        refusal = { reason: `it could not be sent for ${age} (the bridge gives up on messages older than that)`, status: 'm.event_too_old', metric: 'gave_up' };
      }
      const outcome = refusal ? { refusal } : await this.send(job, event);
      refusal = outcome.refusal;
      if (refusal === undefined) {
        await this.status.succeeded(job, { roomId: event.room_id, eventId: job.sourceEventId }).catch((error: unknown) => {
          // the message went; a status the homeserver refuses for good is not worth resending it
          if (!isPermanent(error)) throw error;
          log.warn(`outbox job ${job.id}: the delivery status was refused: ${(error as Error).message}`);
        });
        await store.outbox.markSent(job.id);
        this.mediaServerErrors.delete(job.id);
        this.measureSent(job, event, outcome.sent);
        return undefined;
      }
    } catch (error) {
      if (!isPermanent(error)) return await this.retry(job, event, error as Error);
      refusal = { reason: (error as Error).message, status: 'm.foreign_network_error', metric: failureReason(error) };
    }
    try {
      await this.reportFailure(job, event, refusal);
    } catch (error) {
      // a transient failure to tell the room is retried with the job, so it is not lost
      if (!isPermanent(error)) return await this.retry(job, event, error as Error);
      log.error(`outbox job ${job.id}: the room could not be told that it failed: ${(error as Error).message}`);
    }
    await store.outbox.markFailed(job.id, refusal.reason);
    this.mediaServerErrors.delete(job.id);
    this.ctx.metrics.failed('matrix_to_remote', refusal.metric);
    log.warn(`outbox job ${job.id} failed for good: ${refusal.reason}`);
    return undefined;
  }

  /** Counts a job that reached the network (an event the bridge only ignores is not a message sent). */
  private measureSent(job: OutboxJob, event: OutboxEvent, sent: Content | undefined): void {
    const kind = sent && messageKind(sent);
    if (!kind) return;
    this.ctx.metrics.bridged('matrix_to_remote', kind);
    this.ctx.metrics.latency('matrix_to_remote', secondsSince(this.writtenAt(job, event)));
  }

  private async retry(job: OutboxJob, event: OutboxEvent | undefined, error: Error): Promise<number> {
    const { store, log, config } = this.ctx;
    const delivery = config.bridge.delivery;
    const delay = backoffDelay(job.attempts, { initialDelayMs: delivery.retry_initial_ms, maxDelayMs: delivery.retry_max_ms, factor: 2, jitter: 0.2 });
    // never sleep past the moment the job is given up, so the room is told on time
    const at = Math.min(Date.now() + delay, this.expiresAt(job, event));
    await store.outbox.retryLater(job.id, error.message, at);
    log.info(`outbox job ${job.id} will be retried in ${at - Date.now()} ms (attempt ${job.attempts + 1}): ${error.message}`);
    return at;
  }

  private async refsFor(job: OutboxJob, event: MatrixRoomEvent): Promise<MatrixToRemoteRefs> {
    const { store } = this.ctx;
    const roomId = String(event.room_id);
    const relations = matrixRelations(event);
    const remoteOf = async (eventId?: string) => (eventId ? (await store.messages.byEvent(roomId, eventId))?.remoteId : undefined);
    let redacted: MatrixToRemoteRefs['redacted'];
    if (relations.redacts) {
      const reaction = await store.reactions.byEvent(roomId, relations.redacts);
      const message = await store.messages.byEvent(roomId, relations.redacts);
      if (reaction) redacted = { kind: 'reaction', targetRemoteId: reaction.targetRemoteId, own: reaction.sender === job.owner };
      else if (message) redacted = { kind: 'message', remoteId: message.remoteId, own: message.sender === job.owner };
    }
    const edited = relations.replaces ? await store.messages.byEvent(roomId, relations.replaces) : undefined;
    return {
      messageId: remoteMessageId(job.sourceEventId),
      replyTo: await remoteOf(relations.replyTo),
      target: await remoteOf(relations.replaces ?? relations.reactsTo),
      targetIsOwn: edited !== undefined && edited.sender === job.owner,
      redacted,
      now: Date.now(),
    };
  }

  /** Sends a job; returns what was sent, or why it cannot be bridged (the caller tells the room). */
  private async send(job: OutboxJob, event: OutboxEvent): Promise<{ sent?: Content; refusal?: Refusal }> {
    const { config, matrix } = this.ctx;
    const session = this.ctx.session(job.owner);
    if (!session) throw new Error('not connected to the network');
    const contact = job.contact as E164;
    if (this.security.refuses(await this.security.contact(job.owner, contact))) {
      throw new PermanentDeliveryError("the contact's provider has no end-to-end encryption, and this bridge is set to refuse such contacts", 'policy');
    }
    let result: MatrixToRemote;
    try {
      result = matrixToRemote(event, await this.refsFor(job, event));
    } catch (error) {
      // the converter never throws by contract; if it does, retrying the same event cannot help
      throw new PermanentDeliveryError(`the bridge could not read this event (${(error as Error).message})`);
    }
    if (result.type === 'ignore') {
      if (result.notice) await matrix.sendEvent(matrix.botUserId, event.room_id, 'm.room.message', result.notice, noticeTxnId(job.sourceEventId));
      return {};
    }
    if (result.type === 'cannot-bridge') {
      return { refusal: { reason: result.reason, status: 'com.beeper.unsupported_event', metric: 'unbridgeable', notice: { ...result.notice } } };
    }
    const capabilities = session.capabilities?.(contact);
    const network = this.ctx.network.displayName;
    let content: Content;
    if (result.type === 'send-media') {
      // before the file is fetched: a chat without media would refuse it anyway
      if (capabilities?.media === false) throw new PermanentDeliveryError(cannotCarry(network, MEDIA), 'unbridgeable');
      const limit = config.bridge.max_media_bytes;
      if ((result.attachment.size ?? 0) > limit) throw new PermanentDeliveryError(`the file is larger than this bridge's limit of ${limit} bytes`, 'unbridgeable');
      const { encryptedFile } = result.attachment;
      const downloaded = (await this.fetchMedia(job, result.attachment.mxcUrl)).bytes;
      // AES-CTR keeps the size, so the limit means the same for ciphertext and plaintext
      if (downloaded.length > limit) throw new PermanentDeliveryError(`the file is larger than this bridge's limit of ${limit} bytes`, 'unbridgeable');
      // an encrypted room's file: hash checked, then decrypted; a failure is permanent (a notice)
      const bytes = encryptedFile ? await matrix.decryptMedia(downloaded, encryptedFile) : downloaded;
      if (bytes.length > limit) throw new PermanentDeliveryError(`the file is larger than this bridge's limit of ${limit} bytes`, 'unbridgeable');
      const { mxcUrl: _mxc, encryptedFile: _file, size: _size, ...meta } = result.attachment;
      const uploaded = await session.uploadAttachment(bytes, meta);
      content = completeMediaMessage(result.base, result.attachment, { mediaId: uploaded.mediaId, key: uploaded.key, digest: uploaded.digest, size: uploaded.size });
    } else {
      content = result.content;
    }
    const missing = missingCapability(content, capabilities);
    if (missing) throw new PermanentDeliveryError(cannotCarry(network, missing), 'unbridgeable');
    // the hops before the Signal session travel inside the content, so the contact's client
    // can show that plaintext existed on the Matrix side and on this bridge
    content = { ...content, hopTrail: toContentHopTrail(await this.security.matrixTrail(job.owner, contact)) };
    // content the protocol refuses can never be sent: fail now rather than retry it forever
    const checked = parseContent(content);
    if (!checked.ok) throw new PermanentDeliveryError(`the bridge could not turn it into a valid message (${checked.error})`);
    const refuse = this.ctx.config.security.refuse_unencrypted_providers;
    let sent;
    try {
      sent = await session.send(contact, content, { requireEndToEnd: refuse });
    } catch (error) {
      if (error instanceof RemoteRefusedError && error.code === 'not_end_to_end') {
        await this.security.observeSend(job.owner, contact, false);
        throw new PermanentDeliveryError("the contact's provider has no end-to-end encryption, and this bridge is set to refuse such contacts", 'policy');
      }
      throw error;
    }
    // the ID map first: the contact may read or answer at once, and what the network then says
    // must find the event (learning the contact's key and the room's state can take a while)
    await this.record(job, event, content, sent.messageId);
    await this.security.observeSend(job.owner, contact, sent.encrypted);
    return { sent: content };
  }

  /**
   * The job's file from the homeserver. A 404 (no such media) is a MatrixRefusedError, so
   * permanent; a 5xx is retried, but a file the homeserver fails on POISON_AFTER times in a
   * row while it answers a probe is given up: Synapse answers 502 for media on a server it
   * cannot reach, and retrying that for max_age_seconds would block the portal for a day.
   */
  private async fetchMedia(job: OutboxJob, mxcUrl: string): Promise<{ bytes: Uint8Array }> {
    const { matrix } = this.ctx;
    try {
      const media = await matrix.downloadMedia(mxcUrl);
      this.mediaServerErrors.delete(job.id);
      return media;
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      if (isPermanent(error)) throw new PermanentDeliveryError(`the file could not be fetched from the homeserver (${error.message})`, 'rejected');
      const count = isServerError(error) ? (this.mediaServerErrors.get(job.id) ?? 0) + 1 : 0;
      this.mediaServerErrors.set(job.id, count);
      if (count >= POISON_AFTER && (await matrix.ping().then(() => true, () => false))) {
        this.mediaServerErrors.delete(job.id);
        throw new PermanentDeliveryError(`the homeserver failed to give the file ${count} times in a row while answering other requests (${error.message}); files kept on a server it cannot reach do this`, 'gave_up');
      }
      throw error;
    }
  }

  /** The message-ID map and reactions learn what was sent, so later relations find it. */
  /** `networkId`: the ID the network assigned, when it does (SendResult.messageId) */
  private record(job: OutboxJob, event: OutboxEvent, content: Content, networkId?: string): Promise<void> {
    const contact = job.contact;
    const roomId = event.room_id;
    return this.ctx.store.atomically(async (tx) => {
      if (content.kind === 'reaction') {
        if (content.emoji === '') {
          const redacts = matrixRelations(event).redacts;
          if (redacts) await tx.reactions.remove(roomId, redacts);
        } else {
          await tx.reactions.put({ owner: job.owner, contact, targetRemoteId: content.target, sender: job.owner, emoji: content.emoji, roomId, eventId: event.event_id });
        }
      }
      await tx.messages.put({ owner: job.owner, contact, remoteId: networkId ?? content.messageId, part: 0, sender: job.owner, roomId, eventId: event.event_id, timestamp: content.timestamp });
    });
  }

  /** Tells the room why a job ended unsent: a notice people read and a FAIL_PERMANENT status. */
  private async reportFailure(job: OutboxJob, event: OutboxEvent | undefined, refusal: Refusal): Promise<void> {
    const { matrix } = this.ctx;
    const target = event ? { roomId: event.room_id, eventId: job.sourceEventId } : await this.targetOf(job);
    if (!target) return;
    const notice = refusal.notice ?? {
      ...noticeContent(`⚠️ Not delivered to the contact: ${refusal.reason}`),
      'm.relates_to': { 'm.in_reply_to': { event_id: job.sourceEventId } },
    };
    await matrix.sendEvent(matrix.botUserId, target.roomId, 'm.room.message', notice, noticeTxnId(job.sourceEventId));
    await this.status.failed(job, target, refusal.status, refusal.reason);
  }
}
