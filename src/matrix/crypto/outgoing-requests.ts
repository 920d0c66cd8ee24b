/**
 * What each crypto-wasm outgoing request is on the wire (client-server API v3): method, path
 * and JSON body. Kept apart from sending so tests can route the same requests between
 * machines without a homeserver.
 */
import { RequestType } from '@matrix-org/matrix-sdk-crypto-wasm';

export interface WireRequest {
  /** The id to hand back to markRequestAsSent; undefined for requests that are not marked. */
  id: string | undefined;
  /** 'signing-keys' for the cross-signing key upload, which is not a crypto-wasm outgoing request. */
  type: RequestType | 'signing-keys';
  method: 'POST' | 'PUT';
  /** Path under the homeserver's base URL, already URI-encoded. */
  path: string;
  /** JSON text. */
  body: string;
  /** For a to-device request: the event type, so a test router can deliver it. */
  eventType?: string;
}

/** The shape shared by crypto-wasm's request classes (their `type` tells which one it is). */
export interface OutgoingRequestLike {
  readonly id?: string;
  readonly type: RequestType;
  readonly body: string;
  readonly event_type?: string;
  readonly txn_id?: string;
  readonly room_id?: string;
  readonly version?: string;
}

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

export function toWire(request: OutgoingRequestLike): WireRequest {
  const { id, type, body } = request;
  switch (type) {
    case RequestType.KeysUpload: return { id, type, method: 'POST', path: `${V3}/keys/upload`, body };
    case RequestType.KeysQuery: return { id, type, method: 'POST', path: `${V3}/keys/query`, body };
    case RequestType.KeysClaim: return { id, type, method: 'POST', path: `${V3}/keys/claim`, body };
    case RequestType.SignatureUpload: return { id, type, method: 'POST', path: `${V3}/keys/signatures/upload`, body };
    case RequestType.ToDevice:
      return {
        id, type, method: 'PUT', body, eventType: request.event_type,
        path: `${V3}/sendToDevice/${enc(request.event_type ?? '')}/${enc(request.txn_id ?? '')}`,
      };
    case RequestType.RoomMessage:
      return {
        id, type, method: 'PUT', body,
        path: `${V3}/rooms/${enc(request.room_id ?? '')}/send/${enc(request.event_type ?? '')}/${enc(request.txn_id ?? '')}`,
      };
    case RequestType.KeysBackup:
      return { id, type, method: 'PUT', path: `${V3}/room_keys/keys?version=${enc(request.version ?? '')}`, body };
    default:
      throw new Error(`crypto: unknown outgoing request type ${String(type)}`);
  }
}

/** The cross-signing key upload (not an outgoing request: it comes from bootstrapCrossSigning). */
export function signingKeysUpload(body: string): WireRequest {
  return { id: undefined, type: 'signing-keys', method: 'POST', path: `${V3}/keys/device_signing/upload`, body };
}
