/**
 * Transient or permanent: the one question every retry loop in core asks of an error.
 * A transient failure (homeserver 5xx/429/unreachable, network down, session disconnected)
 * is retried for as long as it lasts; a permanent one (a 4xx refusal, content that cannot be
 * made valid, the network saying no) ends the job at once with a notice that says why.
 * Connectors and the Matrix port throw the typed errors below; anything else is transient.
 */
import { RemoteRefusedError } from '../network/remote-network';

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
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}

export function isPermanent(error: unknown): boolean {
  return error instanceof MatrixRefusedError || error instanceof PermanentDeliveryError || error instanceof RemoteRefusedError;
}

/** HTTP statuses a retry can fix: rate limiting and request time-outs, besides every 5xx. */
const RETRYABLE_4XX = new Set([408, 429]);

/** Classifies an error from a Matrix client call: a 4xx refusal becomes MatrixRefusedError,
 *  everything else (5xx, connection refused, time-outs) is returned as it was: transient. */
export function classifyMatrixError(error: unknown): unknown {
  if (error instanceof MatrixRefusedError) return error;
  const e = error as { statusCode?: unknown; errcode?: unknown; error?: unknown; body?: { errcode?: unknown; error?: unknown } } | null;
  const status = typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  if (status === undefined || status < 400 || status >= 500 || RETRYABLE_4XX.has(status)) return error;
  const errcode = typeof e?.errcode === 'string' ? e.errcode : typeof e?.body?.errcode === 'string' ? e.body.errcode : undefined;
  if (errcode === 'M_LIMIT_EXCEEDED') return error;
  const text = typeof e?.error === 'string' ? e.error : typeof e?.body?.error === 'string' ? e.body.error : `HTTP ${status}`;
  return new MatrixRefusedError(`the homeserver refused it (${errcode ?? status}: ${text})`, status, errcode);
}
