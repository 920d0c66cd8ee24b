/**
 * Message requests: a first message from a number the user never wrote to and never accepted
 * opens no room. It is held (sealed, like key-change holds) and announced once in the
 * management room with an inert preview; `accept` opens the portal and delivers what was held,
 * in order (RemoteIntake.acceptRequest); `decline` deletes it; `block` deletes and blocks.
 * Until then nothing goes back to the sender: no portal means no read status and no typing
 * from Matrix, and the contact's profile is not even fetched.
 *
 * Against floods: request notices per user are rate-limited overall (a token bucket; requests
 * past it wait silently and `requests` lists them), and what is held is capped per sender and
 * per user; past the caps messages are dropped, counted per number in the store, and reported
 * in one summary once no drop came for `summary_quiet_seconds`.
 *
 * A contact is known once the user has a portal record with them: start-chat, a message sent
 * from Matrix and an accepted request all make one.
 */
import { inertPreview } from '../convert/inert-preview';
import { noticeContent, wellFormed } from '../convert';
import { displayPhone, type E164 } from '../network/phone';
import type { RemoteMessage, UnreadableRemoteMessage } from '../network/remote-network';
import { TokenBucket } from '../lib/token-bucket';
import { backoffDelay } from '../lib/backoff';
import { dropSummaryNotice, requestNotice, type SafetyStatus } from '../security/request-notices';
import type { BridgeStore, MessageRequest } from '../store';
import type { CoreContext } from './context';
import { remoteTxnId } from './remote-txn-id';

/** however long a flood goes on, its drops are reported at least this often */
const SUMMARY_MAX_WAIT_MS = 3600 * 1000;

export type RequestOutcome = 'held' | 'dropped';

export class MessageRequests {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly summaryTimers = new Map<string, NodeJS.Timeout>();
  private readonly summaryFailures = new Map<string, number>();
  private stopped = false;

  constructor(private readonly ctx: CoreContext) {}

  private get config() {
    return this.ctx.config.bridge.message_requests;
  }

  /** whether what `contact` sends `owner` now is a request rather than a chat message */
  async isRequest(owner: string, contact: E164): Promise<boolean> {
    if (await this.ctx.store.portals.get(owner, contact)) return false;
    return this.config.enabled || await this.ctx.store.requests.get(owner, contact) !== undefined;
  }

  /**
   * Holds a message of a request (opening the request on the first), or drops it past the
   * caps. Idempotent per remote ID: a retried or redelivered message is held once and its
   * notice, if still due, sent again under the same transaction ID.
   */
  async receive(owner: string, message: RemoteMessage): Promise<RequestOutcome> {
    const { store } = this.ctx;
    const id = message.content.messageId;
    // the check of the caps and the hold are one transaction, so that two messages taken in
    // side by side cannot both pass the last free place
    const outcome = await store.atomically(async (tx): Promise<'held' | 'again' | 'full'> => {
      if (await tx.requests.isHeld(owner, message.from, id)) return 'again';
      if (await this.full(tx, owner, message.from)) return 'full';
      await this.open(tx, owner, message.from, message.sender, message.encrypted, message.serverTimestamp);
      await tx.requests.hold(owner, message.from, id, this.ctx.sealer.seal(JSON.stringify(message)));
      return 'held';
    });
    if (outcome === 'full') return await this.drop(owner, message.from);
    if (outcome === 'held') this.ctx.metrics.request('held');
    await this.noticeIfDue(owner, message.from, inertPreview(wellFormed(message.content)));
    return 'held';
  }

  /** An unreadable message from an unknown number: counted on its request (opened if need be). */
  async receiveUnreadable(owner: string, message: UnreadableRemoteMessage): Promise<RequestOutcome> {
    const { store } = this.ctx;
    const counted = await store.atomically(async (tx) => {
      if (!await tx.requests.get(owner, message.from) && await this.full(tx, owner, message.from)) return false;
      const sender = message.sender ?? { provider: 'unknown', e2ee: message.encrypted, bridged: false };
      await this.open(tx, owner, message.from, sender, message.encrypted, message.serverTimestamp);
      await tx.requests.countUnreadable(owner, message.from);
      return true;
    });
    if (!counted) return await this.drop(owner, message.from);
    await this.noticeIfDue(owner, message.from, undefined);
    return 'held';
  }

  private async full(tx: BridgeStore, owner: string, contact: E164): Promise<boolean> {
    return await tx.requests.heldCount(owner, contact) >= this.config.held_per_sender || await tx.requests.heldTotal(owner) >= this.config.held_total;
  }

  private async open(tx: BridgeStore, owner: string, contact: E164, sender: { provider: string; e2ee: boolean }, encrypted: boolean, at: number): Promise<void> {
    if (await tx.requests.get(owner, contact)) return;
    await tx.users.ensure(owner);
    const notice = this.bucket(owner).take() === 0 ? 'due' : 'silent';
    await tx.requests.open({ owner, contact, provider: sender.provider, e2ee: sender.e2ee, encrypted, firstAt: at, notice });
    this.ctx.metrics.request('opened');
    if (notice === 'silent') this.ctx.log.info(`a message request for ${owner} waits without a notice: more came than message_requests.notices_per_hour`);
  }

  private bucket(owner: string): TokenBucket {
    let bucket = this.buckets.get(owner);
    if (!bucket) {
      const perHour = this.config.notices_per_hour;
      bucket = new TokenBucket(perHour, perHour / 3600);
      this.buckets.set(owner, bucket);
    }
    return bucket;
  }

  private async noticeIfDue(owner: string, contact: E164, preview: string | undefined): Promise<void> {
    const { store, matrix } = this.ctx;
    const request = await store.requests.get(owner, contact);
    if (request?.notice !== 'due') return;
    const room = (await store.users.get(owner))?.managementRoom;
    if (!room) {
      // a login made through the provisioning API has no management room: `requests` and the
      // API are where such a user sees requests
      await store.requests.setNotice(owner, contact, 'silent');
      return;
    }
    const notice = requestNotice({
      phone: displayPhone(contact), provider: request.provider, e2ee: request.e2ee, safety: await this.safety(owner, contact),
      preview: preview ?? '', unreadable: preview === undefined,
    });
    await matrix.sendEvent(matrix.botUserId, room, 'm.room.message', noticeContent(notice.body, notice.html),
      remoteTxnId(owner, contact, `request:${request.firstAt}`, 'notice'));
    await store.requests.setNotice(owner, contact, 'sent');
  }

  private async safety(owner: string, contact: E164): Promise<SafetyStatus> {
    const record = await this.ctx.store.contacts.get(owner, contact);
    if (!record?.identityFingerprint) return 'new';
    if (record.verified) return 'verified';
    return record.keyChangedAt !== null ? 'changed' : 'unverified';
  }

  private async drop(owner: string, contact: E164): Promise<RequestOutcome> {
    await this.ctx.store.users.ensure(owner);
    await this.ctx.store.requests.recordDrop(owner, contact);
    this.ctx.metrics.request('dropped');
    this.ctx.log.debug(`dropped a message request message for ${owner}: past message_requests.held_per_sender or held_total`);
    await this.scheduleSummary(owner);
    return 'dropped';
  }

  /** Closes a request and deletes what it held (decline, block). */
  async decline(owner: string, contact: E164, how: 'declined' | 'blocked'): Promise<MessageRequest | undefined> {
    const request = await this.ctx.store.requests.get(owner, contact);
    if (!request) return undefined;
    await this.ctx.store.requests.close(owner, contact);
    this.ctx.metrics.request(how);
    return request;
  }

  /** After a start: summaries of drops that a stop or crash left unsent. */
  async start(): Promise<void> {
    this.stopped = false;
    for (const owner of (await this.ctx.store.requests.ownersWithDrops())) await this.scheduleSummary(owner);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.summaryTimers.values()) clearTimeout(timer);
    this.summaryTimers.clear();
  }

  /** the summary is due once no drop came for the quiet time, or an hour after the first */
  private async summaryDue(owner: string): Promise<number | undefined> {
    const drops = await this.ctx.store.requests.drops(owner);
    if (!drops) return undefined;
    return Math.min(drops.lastAt + this.config.summary_quiet_seconds * 1000, drops.firstAt + SUMMARY_MAX_WAIT_MS);
  }

  private async scheduleSummary(owner: string, at?: number): Promise<void> {
    if (this.stopped || this.summaryTimers.has(owner)) return;
    const due = at ?? await this.summaryDue(owner);
    // checked again: a stop, or another schedule for this owner, may have come while the store was read
    if (due === undefined || this.stopped || this.summaryTimers.has(owner)) return;
    const timer = setTimeout(() => {
      this.summaryTimers.delete(owner);
      this.summarise(owner).catch((error: unknown) => {
        this.ctx.log.warn(`summary of dropped message-request messages for ${owner} failed: ${(error as Error).message}`);
      });
    }, Math.max(0, due - Date.now()));
    timer.unref();
    this.summaryTimers.set(owner, timer);
  }

  private async summarise(owner: string): Promise<void> {
    const due = await this.summaryDue(owner);
    if (due === undefined) return;
    // a drop since the timer was set moved the quiet time on
    if (due > Date.now()) return await this.scheduleSummary(owner, due);
    const { store, matrix } = this.ctx;
    const drops = await store.requests.drops(owner);
    const room = (await store.users.get(owner))?.managementRoom;
    if (!drops) return;
    if (!room) {
      this.ctx.log.info(`dropped message-request messages for ${owner} stay counted: the user has no management room to tell`);
      return;
    }
    try {
      const notice = dropSummaryNotice({ messages: drops.messages, numbers: drops.numbers, since: drops.firstAt, waiting: (await store.requests.list(owner)).length });
      // the same summary gets the same transaction ID, so a retry after a lost answer is one event
      await matrix.sendEvent(matrix.botUserId, room, 'm.room.message', noticeContent(notice.body, notice.html),
        remoteTxnId(owner, 'request-drops', String(drops.firstAt), drops.messages));
      await store.requests.clearDrops(owner, drops.byContact);
      this.summaryFailures.delete(owner);
      // drops that came while it was being sent get their own summary
      await this.scheduleSummary(owner);
    } catch (error) {
      const failures = (this.summaryFailures.get(owner) ?? 0) + 1;
      this.summaryFailures.set(owner, failures);
      const { retry_initial_ms: initialDelayMs, retry_max_ms: maxDelayMs } = this.ctx.config.bridge.delivery;
      const delay = backoffDelay(failures - 1, { initialDelayMs, maxDelayMs, factor: 2, jitter: 0.3 });
      this.ctx.log.warn(`summary of dropped message-request messages for ${owner} not sent (try ${failures}), retrying in ${delay} ms: ${(error as Error).message}`);
      await this.scheduleSummary(owner, Date.now() + delay);
    }
  }
}
