/**
 * The interop network's hops for the hop trail (docs/security.md): the contact's device, the
 * gateway that relays every message, the bridge. Messages cross the gateway Signal-encrypted
 * for a contact whose provider encrypts end to end, and readable by the gateway's operator
 * otherwise (also while that is not known yet).
 */
import { relayedNetworkHops, type NetworkHopQuery, type NetworkHops, type NetworkPlace } from '../network-hops';

/** the names trails have always used for this network (docs/security.md, section 2) */
export const INTEROP_PLACES: Readonly<{ device: NetworkPlace; relay: NetworkPlace }> = {
  device: { place: 'remote_device', label: "contact's device" },
  relay: { place: 'interop_network', label: 'interop network' },
};

export function interopNetworkHops(query: NetworkHopQuery): NetworkHops {
  return relayedNetworkHops(INTEROP_PLACES, query.e2ee);
}
