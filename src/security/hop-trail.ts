/**
 * Hop trails: for one bridged message, every hop it crossed, how each hop was protected and
 * where the content was readable. Pure (no I/O): the caller supplies the facts it knows.
 *
 * Conventions (docs/security.md explains them to admins):
 * - `plaintext_at` of a hop names where the content is readable once the hop is crossed: the
 *   receiving place when the hop's protection ends there, nothing when it stays encrypted.
 * - `plaintext_exposed_at` lists only intermediaries (interop_network, bridge, homeserver),
 *   in path order. The sender's device and the recipient's clients are where a message is
 *   meant to be read; counting them would make every trail look "exposed".
 * - `end_to_end` is true only when no intermediary saw plaintext. A bridged message always
 *   passes the bridge in plaintext (it decrypts to translate), so it is always false here.
 * - An unknown contact encryption (`contactE2ee: null`) is treated as plaintext on the network:
 *   the trail must never claim more protection than the bridge can vouch for.
 * - The bridge ↔ homeserver and homeserver ↔ clients hops are `megolm_e2e` only when the
 *   bridge itself encrypts and decrypts the room's events (end-to-bridge encryption on and the
 *   room encrypted: `bridgeEncrypts`); the homeserver then holds ciphertext only. Otherwise
 *   they are `transport`, even in an encrypted room (`matrix_room_encrypted` records that the
 *   room was encrypted, so a reader sees the mismatch).
 */
import type { HopTrailEntry } from '../protocol/content';

export type Protection = 'signal_e2e' | 'megolm_e2e' | 'transport' | 'none';
export type Place = 'remote_device' | 'interop_network' | 'bridge' | 'homeserver' | 'matrix_clients';

export interface Hop {
  from: Place;
  to: Place;
  protection: Protection;
  plaintext_at: Place[];
}

export interface HopTrail {
  version: 1;
  direction: 'remote_to_matrix' | 'matrix_to_remote';
  /** false whenever the bridge decrypted, i.e. always for bridged messages */
  end_to_end: boolean;
  hops: Hop[];
  /** union of the hops' plaintext_at, intermediaries only, in path order */
  plaintext_exposed_at: Place[];
  contact: { provider: string | null; e2ee: boolean | null; identity_verified: boolean };
  /** the portal room has m.room.encryption, yet the bridge's events in it are unencrypted.
   *  Always set by the functions here; optional only so hand-written literals stay valid. */
  matrix_room_encrypted?: boolean;
}

export interface TrailFacts {
  /** the contact's provider ID at the gateway; null = unknown */
  contactProvider: string | null;
  /** did this message cross the network Signal-encrypted (remote→Matrix: the envelope's
   *  sender.e2ee; Matrix→remote: the send result or the known contact); null = unknown */
  contactE2ee: boolean | null;
  /** the portal room has m.room.encryption (the bridge still sends unencrypted events into it) */
  matrixRoomEncrypted: boolean;
  identityVerified: boolean;
  /** how the bridge ↔ homeserver link is protected; default 'transport' (TLS, or loopback).
   *  Pass 'none' when the configured URLs are plain http:// to another host. */
  homeserverLink?: 'transport' | 'none';
  /** the bridge encrypts and decrypts this room's events with devices of its own (security.
   *  encryption on and the room encrypted): Megolm between the bridge and the Matrix clients */
  bridgeEncrypts?: boolean;
}

/** where a message is meant to be read; never counted as an exposure */
const ENDPOINTS: ReadonlySet<Place> = new Set<Place>(['remote_device', 'matrix_clients']);

/** Signal-encrypted across the network only when the contact is known to have e2ee. */
function networkProtection(e2ee: boolean | null): Protection {
  return e2ee === true ? 'signal_e2e' : 'transport';
}

function hop(from: Place, to: Place, protection: Protection, plaintextAt: Place[]): Hop {
  return { from, to, protection, plaintext_at: plaintextAt };
}

function assemble(direction: HopTrail['direction'], hops: Hop[], f: TrailFacts): HopTrail {
  const exposed: Place[] = [];
  for (const h of hops) {
    for (const place of h.plaintext_at) if (!ENDPOINTS.has(place) && !exposed.includes(place)) exposed.push(place);
  }
  return {
    version: 1,
    direction,
    end_to_end: exposed.length === 0,
    hops,
    plaintext_exposed_at: exposed,
    contact: { provider: f.contactProvider, e2ee: f.contactE2ee, identity_verified: f.identityVerified },
    matrix_room_encrypted: f.matrixRoomEncrypted,
  };
}

/** remote device → interop network → bridge → homeserver → Matrix clients */
export function remoteToMatrixTrail(f: TrailFacts): HopTrail {
  const net = networkProtection(f.contactE2ee);
  const link = f.homeserverLink ?? 'transport';
  const matrixHops = f.bridgeEncrypts
    ? [hop('bridge', 'homeserver', 'megolm_e2e', []), hop('homeserver', 'matrix_clients', 'megolm_e2e', ['matrix_clients'])]
    : [hop('bridge', 'homeserver', link, ['homeserver']), hop('homeserver', 'matrix_clients', 'transport', ['matrix_clients'])];
  return assemble('remote_to_matrix', [
    hop('remote_device', 'interop_network', net, net === 'signal_e2e' ? [] : ['interop_network']),
    // the Signal session ends at the bridge: it decrypts to translate into a Matrix event
    hop('interop_network', 'bridge', net, ['bridge']),
    ...matrixHops,
  ], f);
}

/** Matrix clients → homeserver → bridge → interop network → remote device */
export function matrixToRemoteTrail(f: TrailFacts): HopTrail {
  const net = networkProtection(f.contactE2ee);
  const link = f.homeserverLink ?? 'transport';
  // unless the bridge decrypts the room itself, it reads only unencrypted events: the
  // homeserver had them in plaintext
  const matrixHops = f.bridgeEncrypts
    ? [hop('matrix_clients', 'homeserver', 'megolm_e2e', []), hop('homeserver', 'bridge', 'megolm_e2e', ['bridge'])]
    : [hop('matrix_clients', 'homeserver', 'transport', ['homeserver']), hop('homeserver', 'bridge', link, ['bridge'])];
  return assemble('matrix_to_remote', [
    ...matrixHops,
    hop('bridge', 'interop_network', net, net === 'signal_e2e' ? [] : ['interop_network']),
    hop('interop_network', 'remote_device', net, ['remote_device']),
  ], f);
}

/** Place names as they travel in remote content (kebab-case, as in docs/interop-protocol.md). */
export const CONTENT_PLACE_NAMES: Readonly<Record<Place, string>> = {
  remote_device: 'remote-device',
  interop_network: 'interop-network',
  bridge: 'bridge',
  homeserver: 'homeserver',
  matrix_clients: 'matrix-client',
};

const CONTENT_PROTECTION: Readonly<Record<Protection, HopTrailEntry['protection']>> = {
  signal_e2e: 'e2e-signal',
  megolm_e2e: 'e2e-megolm',
  transport: 'transport',
  none: 'none',
};

/** The compact form that travels inside remote `Content.hopTrail`: every hop, names mapped. */
export function toContentHopTrail(t: HopTrail): HopTrailEntry[] {
  return t.hops.map((h) => ({
    from: CONTENT_PLACE_NAMES[h.from],
    to: CONTENT_PLACE_NAMES[h.to],
    protection: CONTENT_PROTECTION[h.protection],
    plaintextAt: h.plaintext_at.map((p) => CONTENT_PLACE_NAMES[p]),
  }));
}
