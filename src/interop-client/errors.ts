import type { ErrorBody, ErrorCode } from '../protocol/frames';
import { quote } from '../protocol/quote';

/** Local failure kinds, next to the gateway's own error codes. */
export type LocalErrorCode = 'timeout' | 'disconnected' | 'closed' | 'invalid_response';

/** A request that failed: either the gateway's error frame or a local failure. */
export class InteropRequestError extends Error {
  readonly code: ErrorCode | LocalErrorCode;
  readonly field?: string;
  readonly details?: ErrorBody['details'];

  constructor(code: ErrorCode | LocalErrorCode, message: string, field?: string, details?: ErrorBody['details']) {
    super(message);
    this.name = 'InteropRequestError';
    this.code = code;
    this.field = field;
    this.details = details;
  }

  static fromBody(type: string, body: ErrorBody): InteropRequestError {
    // the message is the gateway's free text and ends up in logs: quoted and bounded
    return new InteropRequestError(body.code, `${type}: ${body.code}: ${quote(body.message, 300)}`, body.field, body.details);
  }
}

/** A send that would have crossed the network in plaintext, refused before anything left
 *  (the caller asked for end-to-end encryption only). */
export class PlaintextRefusedError extends Error {
  constructor(readonly to: string) {
    super(`${to} can only be reached without end-to-end encryption; not sent`);
    this.name = 'PlaintextRefusedError';
  }
}
