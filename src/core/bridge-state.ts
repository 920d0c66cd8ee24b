/**
 * What the bridge says about its own state, in formats other tools read: the room state
 * describing the bridge (MSC2346), put into every portal at creation, and each login's
 * connection state in the shape of mautrix's bridge state, for admins and metrics.
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

/** A login's state in the shape of mautrix's bridge state (`com.beeper.bridge_state`), which
 *  bridge dashboards and metrics already understand. */
export interface LoginBridgeState {
  state_event: 'CONNECTING' | 'CONNECTED' | 'TRANSIENT_DISCONNECT' | 'BAD_CREDENTIALS' | 'LOGGED_OUT';
  /** seconds since the epoch, when the login entered this state */
  timestamp: number;
  /** seconds this state is good for before it should be checked again */
  ttl: number;
  user_id: string;
  remote_id: string;
  /** machine-readable reason, when not connected */
  error?: string;
  message?: string;
}

const STATE_EVENTS = {
  connecting: 'CONNECTING',
  connected: 'CONNECTED',
  backing_off: 'TRANSIENT_DISCONNECT',
  device_removed: 'BAD_CREDENTIALS',
  auth_failed: 'BAD_CREDENTIALS',
  logged_out: 'LOGGED_OUT',
} as const;

export function loginBridgeState(status: {
  owner: string; phone: string; state: keyof typeof STATE_EVENTS; since: number; reason?: string;
}): LoginBridgeState {
  const stateEvent = STATE_EVENTS[status.state];
  return {
    state_event: stateEvent,
    timestamp: Math.floor(status.since / 1000),
    ttl: stateEvent === 'CONNECTED' ? 3600 : 240,
    user_id: status.owner,
    remote_id: status.phone,
    ...(status.state === 'connected' ? {} : { error: `interop-${status.state.replace('_', '-')}` }),
    ...(status.reason ? { message: status.reason } : {}),
  };
}
