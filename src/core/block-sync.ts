/**
 * Keeps the network's copy of each user's block list equal to the bridge's: the whole list
 * after every change and at every connect (a gateway that lost its database, a change made
 * while logged out). A change the network has not confirmed is retried with backoff for as
 * long as the login is connected, and again at the next connect (the state is stored, so a
 * restart does not forget it): never given up silently. The user is told when the network has
 * not confirmed yet, and then told when it has; a network without block lists is told once.
 * Meanwhile block-filter.ts drops whatever arrives, so the block holds either way.
 */
import { noticeContent } from '../convert';
import { backoffDelay, type BackoffOptions } from '../lib/backoff';
import { RemoteRefusedError, type E164 } from '../network/remote-network';
import type { BlockSyncState } from '../store';
import type { CoreContext } from './context';
import type { KeyedQueue } from './keyed-queue';

/** what the user reads about a network that cannot block for them (said once) */
export const UNSUPPORTED_TEXT =
  'This network has no block lists: messages from the numbers you block still reach the bridge, which drops them, so nothing appears here. They are not told.';


export class BlockSync {
  private readonly retries = new Map<string, { timer?: NodeJS.Timeout; attempt: number }>();
  private stopped = false;
  private readonly backoff: BackoffOptions;
  /** how long a command waits for the network before answering "not confirmed yet" (the
   *  attempt goes on; its outcome is told by notice) */
  commandWaitMs = 5000;

  constructor(private readonly ctx: CoreContext, private readonly queue: KeyedQueue) {
    const delivery = ctx.config.bridge.delivery;
    this.backoff = { initialDelayMs: delivery.retry_initial_ms, maxDelayMs: delivery.retry_max_ms, factor: 2, jitter: 0.3 };
  }

  /**
   * After a change by `block`/`unblock`: sends the list and says how it went, waiting a few
   * seconds at most. `tellUnsupported`: the caller must say UNSUPPORTED_TEXT (first time only).
   * A `pending` answer marks the user as told, so the later confirmation is told too.
   */
  async afterChange(owner: string): Promise<{ state: BlockSyncState; detail: string | null; tellUnsupported: boolean }> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.commandWaitMs);
    });
    // set the moment the attempt lands, even just after the wait ran out: an attempt that
    // has not landed is "pending", whatever an earlier change left stored
    let landed: BlockSyncState | undefined;
    await Promise.race([this.sync(owner).then((state) => (landed = state)), waited]);
    clearTimeout(timer);
    const { blocks } = this.ctx.store;
    const state = landed ?? 'pending';
    const record = await blocks.syncState(owner);
    const detail = state === 'pending' && landed === undefined ? 'no answer from the network yet' : (record?.detail ?? null);
    if (state === 'pending') await blocks.setSyncState(owner, 'pending', detail, { pending: true });
    const tellUnsupported = state === 'unsupported' && !(record?.toldUnsupported ?? false);
    if (tellUnsupported) await blocks.setSyncState(owner, 'unsupported', null, { unsupported: true });
    return { state, detail, tellUnsupported };
  }

  /** At every connect: the list goes to the network again if it holds anything or a change
   *  is unconfirmed. Runs in the background; what it finds out is told by notice. */
  async connected(owner: string): Promise<void> {
    const { blocks } = this.ctx.store;
    if ((await blocks.syncState(owner))?.state !== 'pending' && await blocks.count(owner) === 0) return;
    this.background(owner);
  }

  /** a sync nobody waits for: a network without block lists is told here (once) */
  private background(owner: string): void {
    this.sync(owner).then(async (state) => {
      const { blocks } = this.ctx.store;
      if (state !== 'unsupported' || (await blocks.syncState(owner))?.toldUnsupported || (await blocks.count(owner)) === 0) return;
      await blocks.setSyncState(owner, state, null, { unsupported: true });
      await this.tell(owner, UNSUPPORTED_TEXT);
    }).catch((error: unknown) => {
      this.ctx.log.warn(`the block list of ${owner} was synced, but what came of it was not recorded or told: ${(error as Error).message}`);
    });
  }

  stop(): void {
    this.stopped = true;
    for (const retry of this.retries.values()) clearTimeout(retry.timer);
    this.retries.clear();
  }

  /** Sends the current whole list; one attempt at a time per user, so the last list wins. */
  private sync(owner: string): Promise<BlockSyncState> {
    return this.queue.run(`blocks:${owner}`, () => this.attempt(owner));
  }

  private async attempt(owner: string): Promise<BlockSyncState> {
    const retry = this.retries.get(owner);
    clearTimeout(retry?.timer);
    const { blocks } = this.ctx.store;
    const session = this.ctx.session(owner);
    // logged out or not connected yet: the next connect sends it
    if (!session) return await this.settle(owner, 'pending', 'not connected to the network');
    if (!session.setBlockList) return await this.settle(owner, 'unsupported', null);
    const list = (await blocks.list(owner)).map((b) => b.contact as E164);
    try {
      const outcome = await session.setBlockList(list);
      this.retries.delete(owner);
      return await this.settle(owner, outcome === 'network' ? 'network' : 'unsupported', null);
    } catch (error) {
      const message = (error as Error).message;
      if (error instanceof RemoteRefusedError) {
        this.retries.delete(owner);
        this.ctx.log.warn(`the network refused the block list of ${owner} (${message}); the bridge drops their messages itself`);
        return await this.settle(owner, 'refused', message);
      }
      this.retryLater(owner, message);
      return await this.settle(owner, 'pending', message);
    }
  }

  /** stores the outcome and tells the user what they are owed: a confirmation they were
   *  promised, a refusal, or (once) that the network cannot block */
  private async settle(owner: string, state: BlockSyncState, detail: string | null): Promise<BlockSyncState> {
    const { blocks } = this.ctx.store;
    const before = await blocks.syncState(owner);
    await blocks.setSyncState(owner, state, detail, state === 'pending' ? {} : { pending: false });
    if (before?.toldPending && state === 'network') {
      await this.tell(owner, 'The network has now confirmed your block list: it drops what the numbers you blocked send, before it reaches the bridge.');
    } else if (before?.toldPending && state === 'refused') {
      await this.tell(owner, `The network refused your block list (${detail ?? 'no reason given'}); the bridge still drops what those numbers send.`);
    } else if (before?.toldPending && state === 'unsupported' && !before.toldUnsupported) {
      await blocks.setSyncState(owner, state, detail, { unsupported: true });
      await this.tell(owner, UNSUPPORTED_TEXT);
    }
    return state;
  }

  private retryLater(owner: string, reason: string): void {
    if (this.stopped || !this.ctx.session(owner)) return;
    const retry = this.retries.get(owner) ?? { attempt: 0 };
    const delay = backoffDelay(retry.attempt, this.backoff);
    retry.attempt += 1;
    retry.timer = setTimeout(() => this.background(owner), delay);
    retry.timer.unref();
    this.retries.set(owner, retry);
    this.ctx.log.warn(`block list of ${owner} not confirmed by the network (${reason}); retrying in ${Math.round(delay)} ms`);
  }

  private async tell(owner: string, text: string): Promise<void> {
    const room = (await this.ctx.store.users.get(owner))?.managementRoom;
    if (!room) return;
    const { matrix } = this.ctx;
    void matrix
      .sendEvent(matrix.botUserId, room, 'm.room.message', noticeContent(text))
      .catch((error: Error) => this.ctx.log.warn(`block list notice for ${owner} not sent: ${error.message}`));
  }
}
