/**
 * Room-state describing the bridge (MSC2346), put into every portal at creation. The full
 * hop trail and security summary are a later issue; this holds what every portal needs now.
 */
export interface BridgeInfo {
  botUserId: string;
  creator: string;
  networkId: string;
  networkName: string;
  contactPhone: string;
  contactName?: string;
}

export function bridgeStateContent(info: BridgeInfo): Record<string, unknown> {
  return {
    bridgebot: info.botUserId,
    creator: info.creator,
    protocol: { id: info.networkId, displayname: info.networkName },
    network: { id: info.networkId, displayname: info.networkName },
    channel: { id: info.contactPhone, displayname: info.contactName ?? info.contactPhone },
  };
}

/** state_key of m.bridge: unique per bridge and channel, as MSC2346 asks */
export function bridgeStateKey(info: BridgeInfo): string {
  return `${info.networkId}/${info.contactPhone}`;
}
