/**
 * The security summary of one portal room: what the room state says about where its messages
 * are readable. Published as its own state event (SECURITY_STATE_TYPE, state_key '') and
 * embedded in m.bridge / uk.half-shot.bridge under SECURITY_SUMMARY_KEY. Pure.
 */
import { isDeepStrictEqual } from 'node:util';
import { remoteToMatrixTrail, type Place } from './hop-trail';
import type { NetworkHops } from '../network/network-hops';

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
  /** whether the bridge reads the room: always when unencrypted; when encrypted only with
   *  end-to-bridge encryption (security.encryption on), which gives it devices of its own */
  bridge_can_read_room: boolean;
  /** the bridge decrypts the contact's Signal messages, always */
  bridge_decrypts_remote: true;
  contact: { phone: string; provider: string | null; e2ee: boolean | null; identity_key_fingerprint: string | null; verified: boolean };
  /** intermediaries where bridged messages are readable, in the remote → Matrix path order */
  plaintext_exposed_at: Place[];
}

/** `bridgeEncrypts`: end-to-bridge encryption is on and the room is encrypted (hop-trail.ts);
 *  `network`: the connector's description of its hops for the contact (TrailFacts.network) */
export function securitySummary(roomEncrypted: boolean, contact: ContactSecurity, bridgeEncrypts = false, network?: NetworkHops): SecuritySummary {
  // derived from the same trail the messages carry, so the room state and the events agree
  const trail = remoteToMatrixTrail({
    contactProvider: contact.provider,
    contactE2ee: contact.e2ee,
    matrixRoomEncrypted: roomEncrypted,
    identityVerified: contact.verified,
    bridgeEncrypts: bridgeEncrypts && roomEncrypted,
    network,
  });
  return {
    version: 1,
    matrix_room_encrypted: roomEncrypted,
    bridge_can_read_room: !roomEncrypted || bridgeEncrypts,
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
