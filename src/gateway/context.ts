/** What request handlers work with: the connection, its provider, and the gateway's services. */
import type { ErrorBody, ErrorCode, EventFrame, EventMap, EventName, GatewayFrame, ProtocolVersion } from '../protocol/frames';
import type { GatewayConfig, ProviderConfig } from './config';
import type { DeliveryHub } from './delivery';
import type { TokenBucket } from '../lib/token-bucket';
import type { AccountStore } from './store/accounts';
import type { BlockStore } from './store/blocks';
import type { DeviceStore } from './store/devices';
import type { GroupStore } from './store/groups';
import type { MediaStore } from './store/media';
import type { QueueStore } from './store/queue';

/** Log lines carry no secrets, codes, keys or ciphertexts: only what an operator needs. */
export interface Logger {
  /** optional: traces for measuring (IDs only), off at the default level */
  debug?(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface Connection {
  readonly id: number;
  /** set once `hello` succeeded */
  provider?: ProviderConfig;
  /** the `v` of its hello (1 before one): every frame to it carries this, and a version-1
   *  connection neither makes group requests nor receives group envelopes */
  version: ProtocolVersion;
  failedHellos: number;
  send(frame: GatewayFrame): void;
  close(code: number, reason: string): void;
}

/** a request a provider made, carried out */
export type RequestObserver = (seen: { provider: string; type: string; params: unknown }) => void;

export interface Services {
  config: GatewayConfig;
  /** runs a function in the current group-commit transaction (see batch.ts) */
  transact<T>(fn: () => T): T;
  accounts: AccountStore;
  blocks: BlockStore;
  devices: DeviceStore;
  groups: GroupStore;
  queue: QueueStore;
  media: MediaStore;
  hub: DeliveryHub;
  providers: ReadonlyMap<string, ProviderConfig>;
  lookupBuckets: ReadonlyMap<string, TokenBucket>;
  log: Logger;
  now(): number;
  /** see GatewayOptions.onRequest */
  onRequest?: RequestObserver;
  /** production code delivery (SMS or similar); absent: register_request answers `unavailable` */
  deliverCode?: (phone: string, code: string) => void;
  /** development mode: where the "[DEV] verification code ..." line goes (stdout by default) */
  printDevCode: (line: string) => void;
}

export interface RequestContext {
  conn: Connection;
  provider: ProviderConfig;
  services: Services;
  /** run after the answer to this request has been sent (so events follow their cause) */
  afterReply(fn: () => void): void;
}

export class GatewayError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    readonly details?: ErrorBody['details'],
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.field !== undefined) body.field = this.field;
    if (this.details !== undefined) body.details = this.details;
    return body;
  }
}

/** An event for `conn`, in the protocol version that connection speaks. */
export function eventFrame<E extends EventName>(conn: Pick<Connection, 'version'>, event: E, data: EventMap[E]): EventFrame<E> {
  return { v: conn.version, type: 'event', event, data } as EventFrame<E>;
}
