/**
 * The security summary of one portal room: what the room state says about where its messages
 * are readable. Published as its own state event (SECURITY_STATE_TYPE, state_key '') and
 * embedded in m.bridge / uk.half-shot.bridge under SECURITY_SUMMARY_KEY. Pure.
 */
import { isDeepStrictEqual } from 'node:util';
import { remoteToMatrixTrail, type Place } from './hop-trail';
import { SECURITY_STATE_KEY, SECURITY_STATE_TYPE, SECURITY_SUMMARY_KEY } from './namespace';

export interface ContactSecurity {
  phone: string;
  provider: string | null;
  e2ee: boolean | null;
  identityFingerprint: string | null;
  verified: boolean;
}

export interface SecuritySummary {
  version: 1;
  matrix_room_encrypted: boolean;
  /** the bridge reads only unencrypted Matrix events: false once the room is encrypted */
  bridge_can_read_room: boolean;
  /** the bridge decrypts the contact's Signal messages, always */
  bridge_decrypts_remote: true;
  contact: { phone: string; provider: string | null; e2ee: boolean | null; identity_key_fingerprint: string | null; verified: boolean };
  /** intermediaries where bridged messages are readable, in the remote → Matrix path order */
  plaintext_exposed_at: Place[];
}

export function securitySummary(roomEncrypted: boolean, contact: ContactSecurity): SecuritySummary {
  // derived from the same trail the messages carry, so the room state and the events agree
  const trail = remoteToMatrixTrail({
    contactProvider: contact.provider,
    contactE2ee: contact.e2ee,
    matrixRoomEncrypted: roomEncrypted,
    identityVerified: contact.verified,
  });
  return {
    version: 1,
    matrix_room_encrypted: roomEncrypted,
    bridge_can_read_room: !roomEncrypted,
    bridge_decrypts_remote: true,
    contact: {
      phone: contact.phone,
      provider: contact.provider,
      e2ee: contact.e2ee,
      identity_key_fingerprint: contact.identityFingerprint,
      verified: contact.verified,
    },
    plaintext_exposed_at: trail.plaintext_exposed_at,
  };
}

/** true when `b` must be published: there was no summary yet, or anything in it differs */
export function summaryChanged(a: SecuritySummary | undefined, b: SecuritySummary): boolean {
  return a === undefined || !isDeepStrictEqual(a, b);
}

/** What changed between two summaries, each a reason for a notice (see notices.ts). */
export type SecurityChange =
  | 'room_encryption_enabled'
  | 'room_encryption_disabled'
  | 'identity_key_changed'
  | 'verification_cleared'
  | 'verified'
  | 'provider_changed'
  | 'contact_e2ee_lost'
  | 'contact_e2ee_gained';

export function securityChanges(a: SecuritySummary | undefined, b: SecuritySummary): SecurityChange[] {
  if (a === undefined) return [];
  const changes: SecurityChange[] = [];
  if (!a.matrix_room_encrypted && b.matrix_room_encrypted) changes.push('room_encryption_enabled');
  if (a.matrix_room_encrypted && !b.matrix_room_encrypted) changes.push('room_encryption_disabled');
  // a first key (null → fingerprint) is not a change: there was nothing to compare with
  const oldKey = a.contact.identity_key_fingerprint;
  if (oldKey !== null && oldKey !== b.contact.identity_key_fingerprint) changes.push('identity_key_changed');
  if (a.contact.verified && !b.contact.verified) changes.push('verification_cleared');
  if (!a.contact.verified && b.contact.verified) changes.push('verified');
  if (a.contact.provider !== b.contact.provider) changes.push('provider_changed');
  if (a.contact.e2ee !== false && b.contact.e2ee === false) changes.push('contact_e2ee_lost');
  if (a.contact.e2ee !== true && b.contact.e2ee === true) changes.push('contact_e2ee_gained');
  return changes;
}

/** The state event to send: [type, state_key, content]. */
export function securityStateEvent(summary: SecuritySummary): [type: string, stateKey: string, content: SecuritySummary] {
  return [SECURITY_STATE_TYPE, SECURITY_STATE_KEY, structuredClone(summary)];
}

/** m.bridge / uk.half-shot.bridge content with the summary embedded under SECURITY_SUMMARY_KEY. */
export function withSecuritySummary<T extends object>(bridgeContent: T, summary: SecuritySummary): T & { [SECURITY_SUMMARY_KEY]: SecuritySummary } {
  return { ...bridgeContent, [SECURITY_SUMMARY_KEY]: structuredClone(summary) };
}
