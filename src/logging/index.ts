/**
 * Logging for the bridge and the gateway: one pino root logger per process, a child per
 * component, phone numbers and message content redacted unless the admin turns that off.
 * README "Logs" says what a line looks like and how to get full detail.
 */
import type { DestinationStream } from 'pino';
import { partsLogger, type PartsLogger } from './components';
import { routeLibraryLogs } from './libraries';
import { createRootLogger, type LogSettings, type RootLogger } from './root';

export { fieldsLogger, partsLogger, type FieldsLogger, type PartsLogger } from './components';
export { createRootLogger, type LogLevelName, type LogSettings, type RootLogger } from './root';
export { redactText } from './redact';

export interface BridgeLogging {
  root: RootLogger;
  /** the logger of one component (`core`, `network`, …) */
  component(name: string): PartsLogger;
}

/** The bridge's logging: the root logger, and the Matrix libraries routed into it. */
export function setupBridgeLogging(settings: LogSettings, destination?: DestinationStream): BridgeLogging {
  const root = createRootLogger(settings, destination);
  routeLibraryLogs(root, settings);
  return { root, component: (name) => partsLogger(root.child({ component: name })) };
}
