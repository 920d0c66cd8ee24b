/**
 * Checks a connector's description of its network's hops (src/network/network-hops.ts) before
 * a trail is made from it, and the reading used when it cannot be: plaintext at the network.
 * A connector's bug must never make a trail claim more protection than there is, nor crash
 * the message it is about. Pure.
 */
import type { NetworkHops, NetworkPlace, NetworkProtection } from '../network/network-hops';

/** core's own places on the Matrix side; a network's place may not take these names (nor
 *  `matrix_client`, whose content name `matrix-client` is the Matrix clients') */
export const MATRIX_SIDE_PLACES: ReadonlySet<string> = new Set(['bridge', 'homeserver', 'matrix_clients', 'matrix_client']);

const NETWORK_PROTECTIONS: ReadonlySet<string> = new Set<NetworkProtection>(['signal_e2e', 'transport', 'none']);
const PLACE_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const MAX_LABEL = 100;
/** the remote content's hopTrail holds at most 32 entries, two of them Matrix-side */
export const MAX_VIA = 16;

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function placeProblems(v: unknown, what: string): string[] {
  const p = record(v);
  if (!p) return [`${what} is not an object`];
  const problems: string[] = [];
  if (typeof p.place !== 'string' || !PLACE_NAME.test(p.place)) problems.push(`${what} has no usable place name (lowercase snake_case)`);
  else if (MATRIX_SIDE_PLACES.has(p.place)) problems.push(`${what} is named "${p.place}", a Matrix-side place`);
  if (typeof p.label !== 'string' || p.label.trim() === '' || p.label.length > MAX_LABEL) problems.push(`${what} has no usable label`);
  return problems;
}

/** What is wrong with a description, one sentence each (no content, fit for a log); [] = usable. */
export function checkNetworkHops(value: unknown): string[] {
  const d = record(value);
  if (!d) return ['the description is not an object'];
  const problems = placeProblems(d.device, 'the device');
  if (!Array.isArray(d.via) || d.via.length === 0) return [...problems, 'no place between the device and the bridge'];
  if (d.via.length > MAX_VIA) return [...problems, `more than ${MAX_VIA} places between the device and the bridge`];
  d.via.forEach((v, i) => {
    problems.push(...placeProblems(v, `place ${i + 1}`));
    if (typeof record(v)?.plaintext !== 'boolean') problems.push(`place ${i + 1} does not say whether it reads the content`);
  });
  const names = [d.device, ...d.via].map((p) => record(p)?.place);
  if (new Set(names).size !== names.length) problems.push('a place name is used twice');
  if (!Array.isArray(d.links) || d.links.length !== d.via.length + 1) return [...problems, `not one link per hop (${d.via.length + 1} expected)`];
  d.links.forEach((l, i) => {
    if (typeof l !== 'string' || !NETWORK_PROTECTIONS.has(l)) problems.push(`link ${i + 1} has an unknown protection`);
  });
  if (problems.length > 0) return problems;
  // a place next to a link that is not end-to-end encrypted sends or receives the content readable
  const via = d.via as { plaintext: boolean }[];
  const links = d.links as NetworkProtection[];
  via.forEach((v, i) => {
    const open = links[i] !== 'signal_e2e' || links[i + 1] !== 'signal_e2e';
    if (open && !v.plaintext) problems.push(`place ${i + 1} is next to a link without end-to-end encryption but is said not to read the content`);
  });
  return problems;
}

/** The most cautious reading of a network: one relay, protected only in transit, reading everything. */
export function cautiousNetworkHops(label: string): NetworkHops {
  return {
    device: { place: 'remote_device', label: "contact's device" },
    via: [{ place: 'remote_network', label, plaintext: true }],
    links: ['transport', 'transport'],
  };
}

/** The network's places that read the content (their labels, device first) and whether the
 *  whole way between the device and the bridge is end-to-end encrypted: what notices say. */
export function networkExposure(hops: NetworkHops): { readers: string[]; endToEnd: boolean } {
  const readers = hops.via.filter((v) => v.plaintext).map((v: NetworkPlace) => v.label);
  return { readers, endToEnd: readers.length === 0 && hops.links.every((l) => l === 'signal_e2e') };
}
