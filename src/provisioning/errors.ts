/**
 * Errors of the provisioning API, answered as `{errcode, error}` with an HTTP status (the
 * Matrix client-server API's shape, which integration managers already parse). Codes the
 * Matrix spec does not define are namespaced with the bridge's own prefix, as the spec asks.
 */

export const ERRCODE = {
  missingToken: 'M_MISSING_TOKEN',
  unknownToken: 'M_UNKNOWN_TOKEN',
  forbidden: 'M_FORBIDDEN',
  notJson: 'M_NOT_JSON',
  badJson: 'M_BAD_JSON',
  missingParam: 'M_MISSING_PARAM',
  invalidParam: 'M_INVALID_PARAM',
  unrecognized: 'M_UNRECOGNIZED',
  notFound: 'M_NOT_FOUND',
  tooLarge: 'M_TOO_LARGE',
  limitExceeded: 'M_LIMIT_EXCEEDED',
  unknown: 'M_UNKNOWN',
  alreadyLoggedIn: 'ORG.INTEROP_BRIDGE.ALREADY_LOGGED_IN',
  notLoggedIn: 'ORG.INTEROP_BRIDGE.NOT_LOGGED_IN',
  noPendingLogin: 'ORG.INTEROP_BRIDGE.NO_PENDING_LOGIN',
  codeRefused: 'ORG.INTEROP_BRIDGE.CODE_REFUSED',
  networkUnreachable: 'ORG.INTEROP_BRIDGE.NETWORK_UNREACHABLE',
  homeserverUnavailable: 'ORG.INTEROP_BRIDGE.HOMESERVER_UNAVAILABLE',
} as const;

export type Errcode = (typeof ERRCODE)[keyof typeof ERRCODE];

/** A refusal the API answers as is: thrown by auth, parsing and handlers. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: Errcode,
    message: string,
    /** extra response headers (Allow on a 405) */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
