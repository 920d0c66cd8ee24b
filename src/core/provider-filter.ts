/**
 * Providers the user blocked (provider-policy.ts): whatever arrives from them is acknowledged
 * and dropped here, before any Matrix event, room, invitation or message request exists, even
 * from a contact the user already has a chat with (the user blocked the whole provider).
 * Dropped, not held: the network forgets it, and allowing the provider again brings back only
 * new messages. Messages are counted per provider in the store, for the summary
 * (provider-summary.ts); receipts and typing only in the metric.
 *
 * A message names its sender's provider; a receipt or typing signal does not, so it is judged
 * by the provider the contact was last seen on (nothing is known of a contact never seen, and
 * then there is no room for it to reach either). Logged at debug, without the number.
 */
import type { E164, RemoteEventHandler, RemoteMessage, RemoteSender } from '../network/remote-network';
import type { BlockedKind } from './bridge-metrics';
import type { CoreContext } from './context';
import type { ProviderPolicy } from './provider-policy';
import type { ProviderDropSummary } from './provider-summary';
import { ArrivalOrder } from './arrival-order';

type Inbound = Pick<RemoteEventHandler, 'onMessage' | 'onUnreadable' | 'onStatus' | 'onTyping'>;

export class ProviderFilter {
  constructor(
    private readonly ctx: CoreContext,
    readonly policy: ProviderPolicy,
    readonly summary: ProviderDropSummary,
  ) {}

  private async blockedSender(owner: string, sender: RemoteSender | undefined): Promise<RemoteSender | undefined> {
    return sender && !await this.policy.allowed(owner, sender.provider, sender.e2ee) ? sender : undefined;
  }

  private async blockedContact(owner: string, from: E164): Promise<{ provider: string; e2ee: boolean | undefined } | undefined> {
    const seen = await this.policy.contactProvider(owner, from);
    return seen && !await this.policy.allowed(owner, seen.provider, seen.e2ee) ? seen : undefined;
  }

  /** counts a dropped message for the summary */
  private async count(owner: string, provider: { provider: string; e2ee: boolean | undefined }): Promise<void> {
    await this.ctx.store.users.ensure(owner);
    await this.ctx.store.providers.recordDrop(owner, provider.provider, provider.e2ee === true);
    await this.summary.dropped(owner);
  }

  /**
   * A message that waited in line (a homeserver outage, say) while the user blocked its
   * provider: counted and dropped like what arrives after the block; true if so (the caller
   * then acknowledges it without a Matrix event).
   */
  async dropsWaiting(owner: string, message: RemoteMessage): Promise<boolean> {
    const blocked = await this.blockedSender(owner, message.sender);
    if (!blocked) return false;
    this.ctx.metrics.providerBlocked('message');
    this.ctx.log.debug(`dropped a waiting message from now blocked provider ${blocked.provider} for ${owner}`);
    await this.count(owner, blocked);
    return true;
  }

  /** `next`, behind the filter: what a blocked provider sends never reaches it */
  wrap(owner: string, next: Inbound): Inbound {
    const { ctx } = this;
    // looked up in the order each contact's events came (arrival-order.ts)
    const order = new ArrivalOrder();
    const blockedSender = (from: E164, sender: RemoteSender | undefined) => order.lookup(from, () => this.blockedSender(owner, sender));
    const blockedContact = (from: E164) => order.lookup(from, () => this.blockedContact(owner, from));
    const drop = async (what: string, kind: BlockedKind, provider: { provider: string; e2ee: boolean | undefined }, ack?: () => Promise<void>) => {
      ctx.metrics.providerBlocked(kind);
      ctx.log.debug(`dropped ${what} from blocked provider ${provider.provider} for ${owner}`);
      if (ack) {
        try {
          await ack();
        } catch (error) {
          // the envelope stays with the network: it comes again, and is dropped (and counted) then
          ctx.log.warn(`acknowledgement of a dropped ${what} for ${owner} failed: ${(error as Error).message}`);
          return;
        }
      }
      if (kind === 'message') await this.count(owner, provider);
    };
    return {
      onMessage: async (message, ack) => {
        const blocked = await blockedSender(message.from, message.sender);
        return blocked ? drop('a message', 'message', blocked, ack) : next.onMessage(message, ack);
      },
      onUnreadable: async (message, ack) => {
        const blocked = await blockedSender(message.from, message.sender);
        return blocked ? drop('an unreadable message', 'message', blocked, ack) : next.onUnreadable(message, ack);
      },
      onStatus: async (from, status, ids, ack) => {
        const blocked = await blockedContact(from);
        return blocked ? drop(`a ${status} receipt`, 'receipt', blocked, ack) : next.onStatus(from, status, ids, ack);
      },
      onTyping: async (from, typing) => {
        const blocked = await blockedContact(from);
        return blocked ? drop('a typing signal', 'typing', blocked) : next.onTyping(from, typing);
      },
    };
  }
}
