// Reads the hop trail of a Matrix event the way a checker (or a curious client) would:
// the well-formed trail under HOP_TRAIL_KEY, or undefined when it is missing or malformed.
// The bridge writes trails and never reads them back, so this lives with the tests, which
// use it to check that no bridged event lacks a trail.
import { HOP_TRAIL_KEY, type Hop, type HopTrail, type MatrixSidePlace, type Place, type Protection } from '../../src/security';

// records keyed by the union types, so a new place or protection cannot be forgotten here
const MATRIX_SIDE: Record<MatrixSidePlace, true> = { bridge: true, homeserver: true, matrix_clients: true };
const PROTECTIONS: Record<Protection, true> = { signal_e2e: true, megolm_e2e: true, transport: true, none: true };
/** the network's places are named by its connector (remote_device, interop_network for the
 *  interop connector), in lowercase snake_case (src/network/network-hops.ts) */
const NETWORK_PLACE = /^[a-z][a-z0-9_]{0,63}$/;

function isPlace(v: unknown): v is Place {
  return typeof v === 'string' && (Object.hasOwn(MATRIX_SIDE, v) || NETWORK_PLACE.test(v));
}

function isPlaceList(v: unknown): v is Place[] {
  return Array.isArray(v) && v.every(isPlace);
}

function isHop(v: unknown): v is Hop {
  if (typeof v !== 'object' || v === null) return false;
  const h = v as Record<string, unknown>;
  return isPlace(h.from) && isPlace(h.to) && typeof h.protection === 'string' && Object.hasOwn(PROTECTIONS, h.protection)
    && isPlaceList(h.plaintext_at);
}

/** The well-formed hop trail in a Matrix event's content, or undefined; never throws. */
export function readHopTrail(content: unknown): HopTrail | undefined {
  if (typeof content !== 'object' || content === null) return undefined;
  const t = (content as Record<string, unknown>)[HOP_TRAIL_KEY];
  if (typeof t !== 'object' || t === null) return undefined;
  const r = t as Record<string, unknown>;
  const c = r.contact as Record<string, unknown> | null | undefined;
  const ok =
    r.version === 1 &&
    (r.direction === 'remote_to_matrix' || r.direction === 'matrix_to_remote') &&
    typeof r.end_to_end === 'boolean' &&
    Array.isArray(r.hops) && r.hops.length > 0 && r.hops.every(isHop) &&
    isPlaceList(r.plaintext_exposed_at) &&
    typeof c === 'object' && c !== null &&
    (c.provider === null || typeof c.provider === 'string') &&
    (c.e2ee === null || typeof c.e2ee === 'boolean') &&
    typeof c.identity_verified === 'boolean' &&
    (r.matrix_room_encrypted === undefined || typeof r.matrix_room_encrypted === 'boolean');
  return ok && isPath(t as HopTrail) ? (t as HopTrail) : undefined;
}

/** The hops make one path, from the Matrix clients to the contact's device or back, and every
 *  place said to have had the plaintext is on it: the network's places have names its
 *  connector chose, so a name alone cannot tell a place from a typo. */
function isPath(t: HopTrail): boolean {
  const chained = t.hops.every((h, i) => i === 0 || t.hops[i - 1].to === h.from);
  const first = t.hops[0].from;
  const last = t.hops[t.hops.length - 1].to;
  const device = t.direction === 'remote_to_matrix' ? first : last;
  const ends = t.direction === 'remote_to_matrix' ? last === 'matrix_clients' : first === 'matrix_clients';
  const places = new Set(t.hops.flatMap((h) => [h.from, h.to]));
  const onPath = [...t.hops.flatMap((h) => h.plaintext_at), ...t.plaintext_exposed_at].every((p) => places.has(p));
  return chained && ends && !Object.hasOwn(MATRIX_SIDE, device) && onPath;
}
