/**
 * How a connector describes the hops of its own network for the hop trail (docs/security.md,
 * docs/connector-boundary.md "Hops"): the places a message crosses between the remote person's
 * device and the bridge, how each link between them is protected, and where the content is
 * readable. Core adds its own Matrix-side hops (bridge ↔ homeserver ↔ Matrix clients) and
 * checks what it is given (src/security/network-hops-check.ts). No Matrix imports here.
 */

/** How one link of the network is protected: `signal_e2e` end-to-end (Signal protocol),
 *  `transport` only in transit (TLS), `none` not at all. Matrix's own `megolm_e2e` is core's. */
export type NetworkProtection = 'signal_e2e' | 'transport' | 'none';

/** What core knows of the contact, or of the one message, a trail is for. */
export interface NetworkHopQuery {
  /** the contact's provider as the network named it; null = unknown */
  provider: string | null;
  /** whether this message crossed (or, before a send, will cross) the network end-to-end
   *  encrypted, as the connector reported it (RemoteMessage.encrypted, SendResult.encrypted,
   *  RemoteSender.e2ee); null = not known yet */
  e2ee: boolean | null;
}

/** A place of the network a message crosses. */
export interface NetworkPlace {
  /** its name in the trail: lowercase snake_case (`[a-z][a-z0-9_]*`, at most 64), unique in
   *  the description and never one of core's Matrix-side places (`bridge`, `homeserver`,
   *  `matrix_clients`) */
  place: string;
  /** what people read, a noun phrase that follows "the": `interop network`, `WhatsApp servers` */
  label: string;
}

export interface NetworkIntermediary extends NetworkPlace {
  /** the content is readable here (it is decrypted, or arrives protected only in transit) */
  plaintext: boolean;
}

/**
 * The network's half of a trail, in the remote → Matrix order: `device` → `via[0]` → … →
 * the bridge. Core reverses it for a message towards the contact. The device and the bridge
 * are where the content is decrypted, always; `via` says for each place whether it reads it.
 */
export interface NetworkHops {
  /** the remote person's device (an endpoint, never counted as an exposure) */
  device: NetworkPlace;
  /** the places between the device and the bridge, from the device on; at least one */
  via: NetworkIntermediary[];
  /** how each link is protected, from the device on: device → via[0], …, via[last] → bridge
   *  (`via.length + 1` links). A place next to a `transport` or `none` link reads the content. */
  links: NetworkProtection[];
}

/**
 * The common shape: one relay (the network's servers) between the device and the bridge,
 * end-to-end encrypted across it when the message was, readable there otherwise (also while
 * that is unknown: a trail never claims more protection than the bridge can vouch for).
 */
export function relayedNetworkHops(places: { device: NetworkPlace; relay: NetworkPlace }, e2ee: boolean | null): NetworkHops {
  const link: NetworkProtection = e2ee === true ? 'signal_e2e' : 'transport';
  return { device: places.device, via: [{ ...places.relay, plaintext: e2ee !== true }], links: [link, link] };
}
