/**
 * Transient or permanent: the one question every retry loop in core asks of an error.
 * A transient failure (homeserver 5xx/429/unreachable, network down, session disconnected)
 * is retried for as long as it lasts; a permanent one (a 4xx refusal, content that cannot be
 * made valid, the network saying no) ends the job at once with a notice that says why.
 * Connectors and the Matrix port throw the typed errors below; anything else is transient.
 */
import { RemoteRefusedError } from '../network/remote-network';
import type { FailureReason } from './bridge-metrics';

/** The homeserver refused a request for good: a 4xx other than rate limiting. */
export class MatrixRefusedError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errcode?: string,
  ) {
    super(message);
    this.name = 'MatrixRefusedError';
  }
}

/** Something core decided cannot succeed however often it is tried (content refused by the
 *  bridge's own validator, a file over the size limit, a policy refusal). */
export class PermanentDeliveryError extends Error {
  /** `reason`: the failure's label in the metrics (bridge-metrics.ts) */
  constructor(message: string, readonly reason: FailureReason = 'invalid') {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}

export function isPermanent(error: unknown): boolean {
  return error instanceof MatrixRefusedError || error instanceof PermanentDeliveryError || error instanceof RemoteRefusedError;
}

/** The metrics' reason for a permanent failure: core's own says it; a refusal by either side is `rejected`. */
export function failureReason(error: unknown): FailureReason {
  if (error instanceof PermanentDeliveryError) return error.reason;
  if (error instanceof RemoteRefusedError && error.code === 'not_end_to_end') return 'policy';
  return 'rejected';
}

/** HTTP statuses a retry can fix: rate limiting and request time-outs, besides every 5xx. */
const RETRYABLE_4XX = new Set([408, 429]);

/** A 5xx from the homeserver: transient, but counted, so a request it fails on again and
 *  again while it answers everything else can be recognised (see POISON_AFTER). */
export class MatrixUnavailableError extends Error {
  constructor(message: string, readonly statusCode: number, readonly errcode?: string) {
    super(message);
    this.name = 'MatrixUnavailableError';
  }
}

/**
 * An exception JavaScript itself raised while handling one message (a URIError from encoding
 * a string, a RangeError, a SyntaxError): the same message raises it again, so it counts
 * towards poison like a 5xx (still only with a probe that shows the homeserver is up, since a
 * garbled answer during an outage can be a SyntaxError too). A TypeError does not count: a
 * session that went away mid-step can cause one, and that is transient.
 */
export function isDeterministicFailure(error: unknown): boolean {
  return error instanceof URIError || error instanceof RangeError || error instanceof SyntaxError;
}

export function isServerError(error: unknown): boolean {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 500;
}

/** errcode and error of a Matrix error body, which the bot SDK hands over parsed, or as the
 *  raw bytes for media requests */
function errorBody(e: { errcode?: unknown; error?: unknown; body?: unknown }): { errcode?: string; error?: string } {
  let body = e.body;
  if (Buffer.isBuffer(body)) {
    try {
      body = JSON.parse(body.subarray(0, 4096).toString('utf8')) as unknown;
    } catch {
      body = undefined;
    }
  }
  const b = (typeof body === 'object' && body !== null ? body : {}) as { errcode?: unknown; error?: unknown };
  const errcode = typeof e.errcode === 'string' ? e.errcode : typeof b.errcode === 'string' ? b.errcode : undefined;
  const error = typeof e.error === 'string' ? e.error : typeof b.error === 'string' ? b.error : undefined;
  return { errcode, error };
}

/** Classifies an error from a Matrix client call: a 4xx refusal becomes MatrixRefusedError,
 *  a 5xx MatrixUnavailableError (the bot SDK throws the bare HTTP response for media, which
 *  has no message); everything else (connection refused, time-outs) is returned as it was.
 *  All but the refusal are transient. */
export function classifyMatrixError(error: unknown): unknown {
  if (error instanceof MatrixRefusedError || error instanceof MatrixUnavailableError) return error;
  const e = error as { statusCode?: unknown; errcode?: unknown; error?: unknown; body?: unknown } | null;
  const status = typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  if (status === undefined || status < 400 || !e) return error;
  const { errcode, error: text } = errorBody(e);
  const described = `${errcode ?? status}: ${text ?? `HTTP ${status}`}`;
  if (status >= 500) return new MatrixUnavailableError(`the homeserver failed (${described})`, status, errcode);
  if (RETRYABLE_4XX.has(status) || errcode === 'M_LIMIT_EXCEEDED') return error;
  return new MatrixRefusedError(`the homeserver refused it (${described})`, status, errcode);
}
