/** Error frames of the interop protocol (see docs/interop-protocol.md, "Errors"). */
import type { ProtocolVersion } from './frames';

export const ERROR_CODES = [
  /** not JSON, or not an object with v/id/type/params */
  'bad_frame',
  /** frame larger than limits.maxFrameBytes */
  'frame_too_large',
  'unsupported_version',
  'unknown_type',
  /** params fail the schema; `field` names the offending JSON pointer */
  'invalid_params',
  /** a request other than hello/ping before a successful hello */
  'unauthenticated',
  'auth_failed',
  'already_authenticated',
  /** the account (or device) belongs to another provider */
  'forbidden',
  'account_not_found',
  'device_not_found',
  'media_not_found',
  /** the phone is registered with another provider */
  'phone_taken',
  'code_invalid',
  'code_expired',
  /** too many wrong codes; request a new one */
  'code_attempts_exceeded',
  'rate_limited',
  /** the per-device ciphertext set does not match the recipient's devices; details list them */
  'stale_devices',
  /** ciphertext type does not fit the providers' e2ee capability (or keys given to a plaintext provider) */
  'encryption_mismatch',
  'media_too_large',
  'too_many_devices',
  /** e.g. code delivery not configured in production mode */
  'unavailable',
  'internal',
  // version 2, groups (§17)
  'group_not_found',
  /** the acting account (or the member named) is not a member of the group */
  'not_group_member',
  /** only admins change membership and metadata */
  'not_group_admin',
  /** the change would leave the group without an admin */
  'last_admin',
  /** more than MAX_GROUP_MEMBERS members */
  'group_full',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface StaleDevicesDetails {
  /** devices of the recipient that got no ciphertext: fetch their bundles and resubmit */
  missing: number[];
  /** device IDs that no longer exist: drop their sessions */
  extra: number[];
}
export interface RateLimitedDetails {
  retryAfterMs: number;
}

export interface ErrorBody {
  code: ErrorCode;
  /** human-readable, for logs and people */
  message: string;
  /** JSON pointer of the offending field for invalid_params, e.g. "/params/to" */
  field?: string;
  details?: StaleDevicesDetails | RateLimitedDetails | Record<string, unknown>;
}

export interface ErrorFrame {
  v: ProtocolVersion;
  /** the request's id; null when the frame was too broken to read one */
  id: string | null;
  type: 'error';
  error: ErrorBody;
}
