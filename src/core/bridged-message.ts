/**
 * What follows once a remote message's Matrix events exist: it is counted (kind and delivery
 * latency), and its sender is told it arrived.
 */
import type { E164 } from '../network/phone';
import type { Content } from '../protocol/content';
import { messageKind, secondsSince } from './bridge-metrics';
import type { CoreContext } from './context';

/** Counts a bridged message; content of no kind of ours became a notice, so it failed.
 *  `sentAt` undefined: no latency (the wait was the user's, not the delivery's). */
export function countBridged(ctx: CoreContext, content: Content, sentAt: number | undefined): void {
  const { metrics } = ctx;
  const kind = messageKind(content);
  if (!kind) return metrics.failed('remote_to_matrix', 'unbridgeable');
  metrics.bridged('remote_to_matrix', kind);
  if (sentAt !== undefined) metrics.latency('remote_to_matrix', secondsSince(sentAt));
}

/**
 * Tells the sender their message arrived (the "delivered" tick); a message request's messages
 * get it when the user accepts, as they reach Matrix only then. Not awaited: the tick must not
 * hold up the next message, and if it is lost (the connection dropped) the read status that
 * follows says more.
 */
export function confirmDelivered(ctx: CoreContext, owner: string, from: E164, content: Content): void {
  if (content.kind !== 'message' || content.replaces !== undefined || content.parts.length === 0) return;
  const session = ctx.session(owner);
  if (!session) return;
  session.sendDeliveredStatus(from, [content.messageId]).catch((error: Error) => ctx.log.warn(`delivered status not sent for ${owner}: ${error.message}`));
}
