/**
 * The provisioning API (`/_matrix/provision/v1`, the mautrix convention): integration
 * managers and admin tools log Matrix users in and out, read their login's state and
 * contacts and start chats, with the shared secret (docs/provisioning.openapi.yaml).
 */
import type { BridgeConfig } from '../config/types';
import type { BridgeCore } from '../core/bridge-core';
import type { PartsLogger } from '../logging';
import { startProvisioningServer, type ProvisioningServer } from './server';

export { API_PREFIX, provisioningRoutes, type ProvisioningDeps } from './routes';
export { startProvisioningServer, MAX_BODY_BYTES, type ProvisioningServer } from './server';

/** Serves the API for a running core (runtime.ts calls this when provisioning.enabled). */
export function startProvisioning(config: BridgeConfig, core: BridgeCore, log: PartsLogger): Promise<ProvisioningServer> {
  const { address, port, shared_secret: secret } = config.provisioning;
  // checkStartable refused a missing secret already; this guards a caller that skipped it
  if (!secret) throw new Error('provisioning.shared_secret is not set');
  const deps = {
    config,
    logins: core.logins,
    inbox: core.inbox,
    pausing: core.pausing,
    profiles: core.profileShare,
    requests: core.requestActions,
    store: core.ctx.store,
    networkName: core.ctx.network.displayName,
    isBridgeUser: (mxid: string) => core.ctx.matrix.isBridgeUser(mxid),
    log,
  };
  return startProvisioningServer(deps, { address, port, secret });
}
