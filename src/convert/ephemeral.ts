/**
 * Read receipts and typing: what Matrix's ephemeral events (EDUs in appservice
 * transactions) say, and what a remote read status becomes on Matrix. Pure functions: the
 * caller maps IDs, decides which users are puppets or ghosts, and sends the signals.
 */
import { isObject } from './matrix-read';

/** One Matrix user having read up to one event. */
export interface ReadMark {
  eventId: string;
  userId: string;
  ts?: number;
}

/**
 * `m.receipt` content → public read marks. Only `m.read` is forwarded. `m.read.private`
 * (MSC2285, in the spec since v1.4) exists so a user can keep their place without telling
 * anyone they read a message; forwarding it to the remote side as a read receipt would
 * betray exactly what the user chose to keep private. Whether a homeserver hands them to
 * an appservice at all is its business; if it does, they stop here. Thread receipts (`thread_id`) count as read marks as well: WhatsApp
 * has no threads, and the message was read.
 */
export function readMarksFromReceipt(content: unknown): ReadMark[] {
  if (!isObject(content)) return [];
  const marks: ReadMark[] = [];
  for (const [eventId, byType] of Object.entries(content)) {
    if (!isObject(byType) || !isObject(byType['m.read'])) continue;
    for (const [userId, receipt] of Object.entries(byType['m.read'])) {
      const ts = isObject(receipt) && typeof receipt.ts === 'number' && Number.isFinite(receipt.ts) ? receipt.ts : undefined;
      marks.push(ts === undefined ? { eventId, userId } : { eventId, userId, ts });
    }
  }
  return marks;
}

/** `m.typing` content → everyone typing in the room now (not a change list). */
export function typingUserIds(content: unknown): string[] {
  if (!isObject(content) || !Array.isArray(content.user_ids)) return [];
  return [...new Set(content.user_ids.filter((id): id is string => typeof id === 'string'))];
}

/** What the caller does on Matrix for a remote status or typing signal. */
export type MatrixEphemeralAction =
  | { type: 'read-receipt'; eventId: string }
  | { type: 'none'; why: string };

/**
 * A remote status about some messages → a read receipt by the ghost. Matrix receipts mean
 * "read up to here", so only the newest of the messages matters. `events` are the Matrix
 * events the caller found for the status's message IDs, with their origin_server_ts.
 */
export function remoteStatusToMatrix(
  status: 'delivered' | 'read',
  events: readonly { eventId: string; ts: number }[],
): MatrixEphemeralAction {
  if (status !== 'read') return { type: 'none', why: 'Matrix has no delivery receipts' };
  if (events.length === 0) return { type: 'none', why: 'none of the messages were bridged to Matrix' };
  const newest = events.reduce((a, b) => (b.ts > a.ts ? b : a));
  return { type: 'read-receipt', eventId: newest.eventId };
}
