/**
 * Start-up checks, in the order runtime.ts runs them: what the config and registration say
 * (refused with every problem named, before anything is opened), then the homeserver itself
 * (waited for while it is down, refused when it rejects the bridge's token).
 */
import { ConfigError } from '../config/errors';
import type { BridgeConfig } from '../config/types';
import type { Registration } from '../registration';
import { type StartupLog } from './errors';
import { waitForHomeserver } from './homeserver-check';
import { checkRegistrationConsistency } from './registration-consistency';

export { StartAborted, StartupError, type StartupLog } from './errors';
export { openDatabaseFile, describeReadError } from './file-errors';
export { openPostgresDatabase } from './postgres-errors';
export { openBridgeStore, type OpenedStore } from './open-store';
export { provisioningSecretProblems, isPlaceholderSecret } from './secrets';
export { waitForHomeserver } from './homeserver-check';

/** Refuses a registration that cannot work with this config (ConfigError naming each key); warns about one that might not. */
export function checkRegistration(registration: Registration, config: BridgeConfig, log: StartupLog): void {
  const { problems, warnings } = checkRegistrationConsistency(registration, config);
  if (problems.length > 0) throw new ConfigError(problems, `the registration (${config.appservice.registration}) with this config`);
  for (const warning of warnings) log.warn(warning);
}

/** Waits until the homeserver accepts the bot user's as_token (see homeserver-check.ts). */
export function checkHomeserver(config: BridgeConfig, registration: Registration, botUserId: string, log: StartupLog, signal?: AbortSignal): Promise<void> {
  return waitForHomeserver({ homeserverUrl: config.homeserver.url, asToken: registration.as_token, botUserId, log, signal });
}
