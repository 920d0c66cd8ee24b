/**
 * The interop connector as the registry knows it: its name, its config section's schema and
 * secrets, the tables it kept in the bridge's database before it had storage of its own, and
 * how it is built from what the composition gives it.
 */
import type { ConnectorDefinition } from '../connector';
import { SIGNAL_TABLES } from '../../interop-client/signal/migrations';
import { interopConfigSchema, interopStartProblems, resolveInteropSecrets, type InteropConfig } from './config';
import { InteropNetwork } from './interop-network';
import { BridgeKeyStore } from './signal-keys';

export const interopConnector: ConnectorDefinition<InteropConfig> = {
  name: 'interop',
  description: 'the interop protocol (docs/interop-protocol.md), over a provider connection to an interop gateway',
  configSchema: interopConfigSchema,
  resolveSecrets: resolveInteropSecrets,
  startProblems: interopStartProblems,
  legacyTables: SIGNAL_TABLES,
  create: ({ config, storage, keysAtRest, log }) =>
    new InteropNetwork({
      url: config.gateway_url,
      provider: config.provider_id,
      // startProblems refused a start without one
      secret: config.provider_secret as string,
      keys: new BridgeKeyStore(storage.database, keysAtRest),
      log,
    }),
};
