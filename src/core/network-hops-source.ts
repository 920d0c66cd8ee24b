/**
 * Where core gets the network's half of a hop trail: the connector's own description
 * (RemoteNetwork.describeHops), checked. A description core cannot use, or a throw, is read
 * the most cautious way (plaintext at the network) and logged once per kind of problem, not
 * once per message: a broken connector must cost a warning, never a message or a crash.
 */
import { relayedNetworkHops, type NetworkHopQuery, type NetworkHops } from '../network/network-hops';
import type { RemoteNetwork } from '../network/remote-network';
import { cautiousNetworkHops, checkNetworkHops } from '../security/network-hops-check';
import type { CoreLogger } from './context';

/** the description's fields only, as plain data (whatever they hold is checked after) */
function plainCopy(d: unknown): unknown {
  if (typeof d !== 'object' || d === null) return d;
  const { device, via, links } = d as Record<string, unknown>;
  const place = (p: unknown) => (typeof p === 'object' && p !== null ? { ...(p as Record<string, unknown>) } : p);
  return { device: place(device), via: Array.isArray(via) ? via.map(place) : via, links: Array.isArray(links) ? [...(links as unknown[])] : links };
}

/** distinct problems logged at most; a connector whose errors vary must not fill the log */
const MAX_WARNINGS = 20;

export class NetworkHopsSource {
  private readonly warned = new Set<string>();

  constructor(private readonly network: RemoteNetwork, private readonly log: CoreLogger) {}

  /** the network's hops for a message or contact, usable as TrailFacts.network */
  describe(query: NetworkHopQuery): NetworkHops {
    const network = this.network;
    // a connector that says nothing: one relay, encrypted across when the message was
    if (!network.describeHops) {
      return relayedNetworkHops({ device: { place: 'remote_device', label: "contact's device" }, relay: { place: 'remote_network', label: network.displayName } }, query.e2ee);
    }
    let described: unknown;
    let problems: string[];
    try {
      // a plain copy, checked and used: what the connector holds cannot change under the
      // trail, and a getter that throws is a failed description like a throw
      described = plainCopy(network.describeHops(query));
      problems = checkNetworkHops(described);
    } catch (error) {
      return this.cautious(`describing its hops failed (${error instanceof Error ? error.message : String(error)})`);
    }
    return problems.length === 0 ? (described as NetworkHops) : this.cautious(`its description of its hops is not usable: ${problems.join('; ')}`);
  }

  private cautious(why: string): NetworkHops {
    if (!this.warned.has(why) && this.warned.size < MAX_WARNINGS) {
      this.warned.add(why);
      const more = this.warned.size === MAX_WARNINGS ? ' (further kinds of problem are not logged)' : '';
      this.log.warn(`connector ${this.network.id}: ${why}; trails read the network as seeing every message in plaintext${more}`);
    }
    return cautiousNetworkHops(this.network.displayName);
  }
}
