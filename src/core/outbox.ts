/**
 * Matrix → remote. Events from a portal's owner are written to the durable outbox first
 * (a replayed event is recognised by its event ID), then a worker per portal sends them in
 * order. While the network is unreachable the head job is retried with backoff and blocks
 * the jobs behind it, so order is kept; a restart resumes from the outbox. A job that can
 * never be sent ends as failed, with a notice in the room that says so and why.
 */
import { completeMediaMessage, matrixRelations, matrixToRemote, noticeContent, type MatrixRoomEvent, type MatrixToRemoteRefs } from '../convert';
import type { E164 } from '../network/phone';
import { RemoteRefusedError } from '../network/remote-network';
import type { OutboxJob, PortalRecord } from '../store';
import type { CoreContext } from './context';
import { KeyedQueue, portalKey } from './keyed-queue';
import type { SecurityKeeper } from './security-keeper';
import { toContentHopTrail } from '../security/hop-trail';

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;
/** after this many failed attempts the job is given up and the room told */
const MAX_ATTEMPTS = 20;

/** An error that retrying cannot fix (the network refused the message, say). */
export class PermanentSendError extends Error {}

export class Outbox {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly ctx: CoreContext, private readonly queue: KeyedQueue, private readonly security: SecurityKeeper) {}

  /** Stores a Matrix event for sending; false if it was stored before (a replay). */
  accept(portal: PortalRecord, event: MatrixRoomEvent & { event_id: string }): boolean {
    const added = this.ctx.store.outbox.enqueue(portal.owner, portal.contact, event.event_id, { event });
    if (added) this.kick(portal.owner, portal.contact);
    return added;
  }

  /** Works through a portal's pending jobs (now, in its queue). */
  kick(owner: string, contact: string): void {
    if (this.stopped) return;
    const key = `out:${portalKey(owner, contact)}`;
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    void this.queue.run(key, () => this.drain(owner, contact, key));
  }

  /** Kicks every portal with pending jobs (at start, and when a session reconnects). */
  kickAll(owner?: string): void {
    for (const p of this.ctx.store.outbox.portalsWithPending()) {
      if (owner === undefined || p.owner === owner) this.kick(p.owner, p.contact);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private later(owner: string, contact: string, key: string, at: number): void {
    const timer = setTimeout(() => this.kick(owner, contact), Math.max(0, at - Date.now()));
    timer.unref();
    this.timers.set(key, timer);
  }

  private async drain(owner: string, contact: string, key: string): Promise<void> {
    const { store, log } = this.ctx;
    for (;;) {
      if (this.stopped) return;
      const job = store.outbox.nextFor(owner, contact);
      if (!job) return;
      if (job.nextAttemptAt > Date.now()) return this.later(owner, contact, key, job.nextAttemptAt);
      try {
        const refusal = await this.send(job);
        // an event that cannot be bridged is not "sent": the room was told why, the job failed
        if (refusal === undefined) store.outbox.markSent(job.id);
        else store.outbox.markFailed(job.id, refusal);
      } catch (error) {
        const message = (error as Error).message;
        if (error instanceof PermanentSendError || error instanceof RemoteRefusedError || job.attempts + 1 >= MAX_ATTEMPTS) {
          store.outbox.markFailed(job.id, message);
          log.warn(`outbox job ${job.id} failed for good: ${message}`);
          await this.reportFailure(job, message);
          continue;
        }
        const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** job.attempts);
        store.outbox.retryLater(job.id, message, Date.now() + delay);
        log.info(`outbox job ${job.id} will be retried in ${delay} ms: ${message}`);
        return this.later(owner, contact, key, Date.now() + delay);
      }
    }
  }

  private refsFor(job: OutboxJob, event: MatrixRoomEvent): MatrixToRemoteRefs {
    const { store } = this.ctx;
    const roomId = String(event.room_id);
    const relations = matrixRelations(event);
    const remoteOf = (eventId?: string) => (eventId ? store.messages.byEvent(roomId, eventId)?.remoteId : undefined);
    let redacted: MatrixToRemoteRefs['redacted'];
    if (relations.redacts) {
      const reaction = store.reactions.byEvent(roomId, relations.redacts);
      const message = store.messages.byEvent(roomId, relations.redacts);
      if (reaction) redacted = { kind: 'reaction', targetRemoteId: reaction.targetRemoteId };
      else if (message) redacted = { kind: 'message', remoteId: message.remoteId };
    }
    return {
      // the Matrix event ID is unique and stable: a retried send is recognised by the network
      messageId: job.sourceEventId,
      replyTo: remoteOf(relations.replyTo),
      target: remoteOf(relations.replaces ?? relations.reactsTo),
      redacted,
    };
  }

  /** Sends a job; returns why it cannot be bridged (after telling the room), if so. */
  private async send(job: OutboxJob): Promise<string | undefined> {
    const { store, config, matrix } = this.ctx;
    const event = job.job.event as MatrixRoomEvent & { event_id: string; room_id: string; sender: string };
    const session = this.ctx.session(job.owner);
    if (!session) throw new Error('not connected to the network');
    const contact = job.contact as E164;
    if (this.security.refuses(this.security.contact(job.owner, contact))) {
      throw new PermanentSendError("the contact's provider has no end-to-end encryption, and this bridge is set to refuse such contacts");
    }
    const result = matrixToRemote(event, this.refsFor(job, event));
    if (result.type === 'ignore') return undefined;
    if (result.type === 'cannot-bridge') {
      await matrix.sendEvent(matrix.botUserId, event.room_id, 'm.room.message', result.notice);
      return result.reason;
    }
    let content;
    if (result.type === 'send-media') {
      const limit = config.bridge.max_media_bytes;
      if ((result.attachment.size ?? 0) > limit) throw new PermanentSendError(`the file is larger than this bridge's limit of ${limit} bytes`);
      if (result.attachment.encryptedFile) throw new PermanentSendError('the file is encrypted and the bridge cannot read encrypted rooms yet');
      const { bytes } = await matrix.downloadMedia(result.attachment.mxcUrl);
      if (bytes.length > limit) throw new PermanentSendError(`the file is larger than this bridge's limit of ${limit} bytes`);
      const { mxcUrl: _mxc, encryptedFile: _file, size: _size, ...meta } = result.attachment;
      const uploaded = await session.uploadAttachment(bytes, meta);
      content = completeMediaMessage(result.base, result.attachment, { mediaId: uploaded.mediaId, key: uploaded.key, digest: uploaded.digest, size: uploaded.size });
    } else {
      content = result.content;
    }
    // the hops before the Signal session travel inside the content, so the contact's client
    // can show that plaintext existed on the Matrix side and on this bridge
    content = { ...content, hopTrail: toContentHopTrail(this.security.matrixTrail(job.owner, contact)) };
    const refuse = this.ctx.config.security.refuse_unencrypted_providers;
    let sent;
    try {
      sent = await session.send(contact, content, { requireEndToEnd: refuse });
    } catch (error) {
      if (error instanceof RemoteRefusedError && error.code === 'not_end_to_end') {
        await this.security.observeSend(job.owner, contact, false);
        throw new PermanentSendError("the contact's provider has no end-to-end encryption, and this bridge is set to refuse such contacts");
      }
      throw error;
    }
    await this.security.observeSend(job.owner, contact, sent.encrypted);
    const roomId = event.room_id;
    store.atomically(() => {
      if (content.kind === 'reaction') {
        if (content.emoji === '') {
          const redacts = matrixRelations(event).redacts;
          if (redacts) store.reactions.remove(roomId, redacts);
        } else {
          store.reactions.put({ owner: job.owner, contact, targetRemoteId: content.target, sender: job.owner, emoji: content.emoji, roomId, eventId: event.event_id });
        }
      }
      store.messages.put({ owner: job.owner, contact, remoteId: content.messageId, part: 0, sender: job.owner, roomId, eventId: event.event_id, timestamp: content.timestamp });
    });
  }

  private async reportFailure(job: OutboxJob, reason: string): Promise<void> {
    const { matrix, log } = this.ctx;
    const event = job.job.event as { room_id?: string; event_id?: string };
    if (!event.room_id) return;
    const content = {
      ...noticeContent(`⚠️ Not delivered to the contact: ${reason}`),
      'm.relates_to': { 'm.in_reply_to': { event_id: job.sourceEventId } },
    };
    await matrix.sendEvent(matrix.botUserId, event.room_id, 'm.room.message', content).catch((error: Error) =>
      log.error(`could not report failed delivery in ${event.room_id}: ${error.message}`),
    );
  }
}
