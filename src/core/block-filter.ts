/**
 * The bridge's own block: whatever still arrives from a number the user blocked (a network
 * without block lists, a block the network has not confirmed yet, a message already in flight)
 * is acknowledged and dropped here, before any Matrix event exists. Dropped, not held: the
 * network forgets it, and unblocking brings back only new messages. Counted in a debug line
 * without the number (the user blocked it; the log need not keep it).
 */
import type { E164, RemoteEventHandler } from '../network/remote-network';
import type { BlockedKind } from './bridge-metrics';
import type { CoreContext } from './context';
import { ArrivalOrder } from './arrival-order';

type Inbound = Pick<RemoteEventHandler, 'onMessage' | 'onUnreadable' | 'onStatus' | 'onTyping'>;

export function dropBlocked(ctx: CoreContext, owner: string, next: Inbound): Inbound {
  let dropped = 0;
  // looked up in the order the contact's events came (arrival-order.ts)
  const order = new ArrivalOrder();
  const blocked = (from: E164) => order.lookup(from, () => ctx.store.blocks.isBlocked(owner, from));
  const drop = async (what: string, kind: BlockedKind, ack?: () => Promise<void>) => {
    dropped += 1;
    ctx.metrics.blocked(kind);
    ctx.log.debug(`dropped ${what} from a blocked contact for ${owner} (${dropped} this session)`);
    // an ack that fails leaves the envelope with the network: it comes again and is dropped again
    await ack?.().catch((error: Error) => ctx.log.warn(`acknowledgement of a dropped ${what} for ${owner} failed: ${error.message}`));
  };
  return {
    onMessage: async (message, ack) => (await blocked(message.from) ? drop('a message', 'message', ack) : next.onMessage(message, ack)),
    onUnreadable: async (message, ack) => (await blocked(message.from) ? drop('an unreadable message', 'message', ack) : next.onUnreadable(message, ack)),
    onStatus: async (from, status, ids, ack) => (await blocked(from) ? drop(`a ${status} receipt`, 'receipt', ack) : next.onStatus(from, status, ids, ack)),
    onTyping: async (from, typing) => (await blocked(from) ? drop('a typing signal', 'typing') : next.onTyping(from, typing)),
  };
}
