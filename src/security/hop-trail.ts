/**
 * Hop trails: for one bridged message, every hop it crossed, how each hop was protected and
 * where the content was readable. Pure (no I/O): the caller supplies the facts it knows.
 *
 * The network's half of the path (remote device → … → bridge) is the connector's
 * description (RemoteNetwork.describeHops, src/network/network-hops.ts); the Matrix half
 * (bridge ↔ homeserver ↔ Matrix clients) is core's own, here.
 *
 * Conventions (docs/security.md explains them to admins):
 * - `plaintext_at` of a hop names where the content is readable once the hop is crossed: the
 *   receiving place when the content is readable there, nothing when it stays encrypted.
 * - `plaintext_exposed_at` lists only intermediaries (the network's places, bridge,
 *   homeserver), in path order. The sender's device and the recipient's clients are where a
 *   message is meant to be read; counting them would make every trail look "exposed".
 * - `end_to_end` is true only when no intermediary saw plaintext. A bridged message always
 *   passes the bridge in plaintext (it decrypts to translate), so it is always false here.
 * - An unknown contact encryption (`contactE2ee: null`) is treated as plaintext on the network
 *   by the connectors' common shape (relayedNetworkHops): the trail must never claim more
 *   protection than the bridge can vouch for. A description that fails checkNetworkHops is
 *   read the most cautious way (cautiousNetworkHops).
 * - The bridge ↔ homeserver and homeserver ↔ clients hops are `megolm_e2e` only when the
 *   bridge itself encrypts and decrypts the room's events (end-to-bridge encryption on and the
 *   room encrypted: `bridgeEncrypts`); the homeserver then holds ciphertext only. Otherwise
 *   they are `transport`, even in an encrypted room (`matrix_room_encrypted` records that the
 *   room was encrypted, so a reader sees the mismatch).
 */
import type { HopTrailEntry } from '../protocol/content';
import { relayedNetworkHops, type NetworkHops, type NetworkPlace } from '../network/network-hops';
import { cautiousNetworkHops, checkNetworkHops } from './network-hops-check';

export type Protection = 'signal_e2e' | 'megolm_e2e' | 'transport' | 'none';
/** core's places, on the Matrix side of the bridge */
export type MatrixSidePlace = 'bridge' | 'homeserver' | 'matrix_clients';
/** a Matrix-side place, or one of the network's, named by its connector (`remote_device`,
 *  `interop_network` for the interop connector) */
export type Place = string;

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
  /** the connector's description of its network's hops for this message (checked by the
   *  caller with checkNetworkHops, which logs; one that fails it here is read cautiously).
   *  Absent: the reference interop network's (REFERENCE_NETWORK_PLACES), as trails were
   *  written before connectors described their hops. */
  network?: NetworkHops;
}

/** The places of the reference interop network (docs/interop-protocol.md), which trail
 *  version 1 was first written with; the interop connector describes itself with them. */
export const REFERENCE_NETWORK_PLACES: Readonly<{ device: NetworkPlace; relay: NetworkPlace }> = {
  device: { place: 'remote_device', label: "contact's device" },
  relay: { place: 'interop_network', label: 'interop network' },
};

function hop(from: Place, to: Place, protection: Protection, plaintextAt: Place[]): Hop {
  return { from, to, protection, plaintext_at: plaintextAt };
}

/** the facts' description, usable; the reference network's when there is none */
function networkOf(f: TrailFacts): NetworkHops {
  if (f.network === undefined) return relayedNetworkHops(REFERENCE_NETWORK_PLACES, f.contactE2ee);
  return checkNetworkHops(f.network).length === 0 ? f.network : cautiousNetworkHops('network');
}

/** The network's hops in remote → Matrix order, or reversed. A hop's plaintext_at is the
 *  place it reaches when the content is readable there: the device and the bridge always
 *  (they decrypt), the places between as the connector says. */
function networkHops(n: NetworkHops, towardsMatrix: boolean): Hop[] {
  const readable = new Map<Place, boolean>([[n.device.place, true], ['bridge', true], ...n.via.map((v) => [v.place, v.plaintext] as const)]);
  const places = [n.device.place, ...n.via.map((v) => v.place), 'bridge'];
  const links = [...n.links];
  if (!towardsMatrix) {
    places.reverse();
    links.reverse();
  }
  return links.map((protection, i) => hop(places[i], places[i + 1], protection, readable.get(places[i + 1]) ? [places[i + 1]] : []));
}

function assemble(direction: HopTrail['direction'], hops: Hop[], f: TrailFacts, device: Place): HopTrail {
  // where a message is meant to be read; never counted as an exposure
  const endpoints = new Set<Place>([device, 'matrix_clients']);
  const exposed: Place[] = [];
  for (const h of hops) {
    for (const place of h.plaintext_at) if (!endpoints.has(place) && !exposed.includes(place)) exposed.push(place);
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

/** remote device → the network's places → bridge → homeserver → Matrix clients */
export function remoteToMatrixTrail(f: TrailFacts): HopTrail {
  const network = networkOf(f);
  const link = f.homeserverLink ?? 'transport';
  const matrixHops = f.bridgeEncrypts
    ? [hop('bridge', 'homeserver', 'megolm_e2e', []), hop('homeserver', 'matrix_clients', 'megolm_e2e', ['matrix_clients'])]
    : [hop('bridge', 'homeserver', link, ['homeserver']), hop('homeserver', 'matrix_clients', 'transport', ['matrix_clients'])];
  // the network's encryption ends at the bridge: it decrypts to translate into a Matrix event
  return assemble('remote_to_matrix', [...networkHops(network, true), ...matrixHops], f, network.device.place);
}

/** Matrix clients → homeserver → bridge → the network's places → remote device */
export function matrixToRemoteTrail(f: TrailFacts): HopTrail {
  const network = networkOf(f);
  const link = f.homeserverLink ?? 'transport';
  // unless the bridge decrypts the room itself, it reads only unencrypted events: the
  // homeserver had them in plaintext
  const matrixHops = f.bridgeEncrypts
    ? [hop('matrix_clients', 'homeserver', 'megolm_e2e', []), hop('homeserver', 'bridge', 'megolm_e2e', ['bridge'])]
    : [hop('matrix_clients', 'homeserver', 'transport', ['homeserver']), hop('homeserver', 'bridge', link, ['bridge'])];
  return assemble('matrix_to_remote', [...matrixHops, ...networkHops(network, false)], f, network.device.place);
}

/** Matrix-side place names as they travel in remote content (kebab-case, as in
 *  docs/interop-protocol.md); a network's places go kebab-case too (`interop_network` →
 *  `interop-network`). */
export const CONTENT_PLACE_NAMES: Readonly<Record<MatrixSidePlace, string>> = {
  bridge: 'bridge',
  homeserver: 'homeserver',
  matrix_clients: 'matrix-client',
};

function contentPlaceName(place: Place): string {
  return Object.hasOwn(CONTENT_PLACE_NAMES, place) ? CONTENT_PLACE_NAMES[place as MatrixSidePlace] : place.replaceAll('_', '-');
}

const CONTENT_PROTECTION: Readonly<Record<Protection, HopTrailEntry['protection']>> = {
  signal_e2e: 'e2e-signal',
  megolm_e2e: 'e2e-megolm',
  transport: 'transport',
  none: 'none',
};

/** The compact form that travels inside remote `Content.hopTrail`: every hop, names mapped. */
export function toContentHopTrail(t: HopTrail): HopTrailEntry[] {
  return t.hops.map((h) => ({
    from: contentPlaceName(h.from),
    to: contentPlaceName(h.to),
    protection: CONTENT_PROTECTION[h.protection],
    plaintextAt: h.plaintext_at.map(contentPlaceName),
  }));
}
