/**
 * What a gateway connection is configured with and what it tells its listeners: the options,
 * their defaults, the events, and which requests are safe to resend after a reconnect. Kept
 * apart from connection.ts, which is the connection's behaviour.
 */
import type { EnvelopeEvent, HelloResult, KeysLowEvent, ProtocolVersion, RequestType, SubscriptionEndedEvent, TypingEvent } from '../protocol/frames';
import type { BackoffOptions } from '../lib/backoff';

export interface ConnectionOptions {
  /** ws:// URL of the gateway */
  url: string;
  provider: string;
  secret: string;
  requestTimeoutMs?: number;
  /** false disables reconnecting (tests of failure paths) */
  reconnect?: Partial<BackoffOptions> | false;
  /** how often a reconnect is tried again after the gateway refused the provider secret
   *  (default AUTH_REFUSED_BACKOFF): no quick retry fixes a refused secret */
  authRefusedBackoff?: Partial<BackoffOptions>;
  /** ping interval; a connection that misses one pong is dropped and reconnected */
  keepaliveMs?: number;
  /** largest frame read from the gateway (default 32 MiB, twice the gateway's default limit,
   *  which leaves room for envelope overhead and large key directories). A larger frame is
   *  reported as a protocolError without being parsed; one beyond twice this is cut off by the
   *  WebSocket layer (close 1009, then the usual reconnect). */
  maxFrameBytes?: number;
  /** the version to ask for in hello (default the newest, 2, with groups); a gateway that
   *  only speaks 1 is then spoken to in 1. Set 1 to behave as a client without groups. */
  protocolVersion?: ProtocolVersion;
}

export const DEFAULT_MAX_INBOUND_FRAME_BYTES = 32 * 1024 * 1024;

/** From a minute growing to 15: the gateway's admin may still be fixing the provider's entry. */
export const AUTH_REFUSED_BACKOFF: BackoffOptions = { initialDelayMs: 60_000, maxDelayMs: 15 * 60_000, factor: 2, jitter: 0.1 };

export interface RequestOptions {
  timeoutMs?: number;
  /** resend after a reconnect instead of failing; only for idempotent requests
   *  (default: true for requests without side effects, false otherwise) */
  retryOnDisconnect?: boolean;
}

export interface ConnectionEvents {
  connected: [hello: HelloResult, reconnected: boolean];
  disconnected: [reason: string];
  envelope: [EnvelopeEvent];
  typing: [TypingEvent];
  'keys.low': [KeysLowEvent];
  'subscription.ended': [SubscriptionEndedEvent];
  /** a frame the client could not make sense of; logged, never fatal */
  protocolError: [message: string];
  /** a reconnect's hello was refused (auth_failed); `refusals` counts them since the last
   *  accepted hello, from 1. Retried at authRefusedBackoff, not at the reconnect rate. */
  authRefused: [refusals: number];
}

/** Requests without side effects: resent after a reconnect unless the caller says otherwise. */
export const SAFE_TO_RETRY: ReadonlySet<RequestType> = new Set([
  'ping', 'keys.fetch', 'profile.get', 'device.list', 'media.download', 'group.get', 'group.list',
]);
