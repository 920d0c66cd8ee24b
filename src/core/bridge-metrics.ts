/**
 * What core tells the metrics about each message: bridged (by direction and kind), failed for
 * good (by a small fixed set of reasons) and how long delivery took. A port, so core stays
 * free of prom-client (src/metrics/ implements it) and core unit tests can record the calls.
 * Labels are fixed sets on purpose: a label taken from free text (an error message, a user
 * ID) would make a new time series per value.
 */
import { isDelete, isEdit, type Content } from '../protocol/content';

export const DIRECTIONS = ['remote_to_matrix', 'matrix_to_remote'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export const MESSAGE_KINDS = ['text', 'media', 'location', 'edit', 'delete', 'reaction'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export const FAILURE_REASONS = [
  /** the network or the homeserver refused it for good */
  'rejected',
  /** a security policy of this bridge refused it (a contact without end-to-end encryption) */
  'policy',
  /** the other side has no form for it (an unknown kind of content, a file over the size limit) */
  'unbridgeable',
  /** the bridge could not read it (an encrypted file that does not decrypt) or turn it into a valid message */
  'invalid',
  /** still failing after bridge.delivery.max_age_seconds, or the homeserver kept failing on this one message */
  'gave_up',
  /** a remote message the bridge could not decrypt */
  'unreadable',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** what the bridge drops from a number the user blocked (what the network dropped never reaches it) */
export const BLOCKED_KINDS = ['message', 'receipt', 'typing'] as const;
export type BlockedKind = (typeof BLOCKED_KINDS)[number];

/** what happens to message requests (core/message-requests.ts): a request opened, a message
 *  of one held or dropped past the caps, a request accepted, declined or blocked */
export const REQUEST_EVENTS = ['opened', 'held', 'dropped', 'accepted', 'declined', 'blocked'] as const;
export type RequestEvent = (typeof REQUEST_EVENTS)[number];

export interface BridgeMetrics {
  /** a message reached the other side (its events exist, or the network accepted it) */
  bridged(direction: Direction, kind: MessageKind): void;
  /** a message ended without reaching the other side; the room was told why */
  failed(direction: Direction, reason: FailureReason): void;
  /** seconds from when the message was sent to when it was delivered */
  latency(direction: Direction, seconds: number): void;
  /** something from a blocked number reached the bridge and was dropped there */
  blocked(kind: BlockedKind): void;
  request(event: RequestEvent): void;
  /** something from a provider the user blocked reached the bridge and was dropped there
   *  (core/provider-filter.ts) */
  providerBlocked(kind: BlockedKind): void;
}

/** for a bridge without metrics: every call does nothing */
export const NO_METRICS: BridgeMetrics = {
  bridged: () => undefined, failed: () => undefined, latency: () => undefined, blocked: () => undefined, request: () => undefined,
  providerBlocked: () => undefined,
};

/** The kind label of a piece of content; undefined for content with no kind of ours (unsupported). */
export function messageKind(content: Content): MessageKind | undefined {
  if (content.kind === 'reaction') return 'reaction';
  if (content.kind !== 'message') return undefined;
  if (isDelete(content)) return 'delete';
  if (isEdit(content)) return 'edit';
  if (content.parts.some((p) => p.type === 'attachment')) return 'media';
  if (content.parts.some((p) => p.type === 'location')) return 'location';
  return 'text';
}

/** seconds between `sentAt` and `now`, never negative (the sender's clock may be ahead) */
export function secondsSince(sentAt: number, now = Date.now()): number {
  return Math.max(0, now - sentAt) / 1000;
}
