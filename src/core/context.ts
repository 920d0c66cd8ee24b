/** What the parts of core share: stores, the Matrix side, the network, config and logging. */
import type { BridgeConfig } from '../config/types';
import type { RemoteNetwork, RemoteSession } from '../network/remote-network';
import type { BridgeStore } from '../store';
import type { BridgeMetrics } from './bridge-metrics';
import type { MatrixPort } from './matrix-port';

export interface CoreLogger {
  debug(...parts: unknown[]): void;
  info(...parts: unknown[]): void;
  warn(...parts: unknown[]): void;
  error(...parts: unknown[]): void;
}

/** Encrypts what core must keep of people's messages at rest (held messages). */
export interface Sealer {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

export interface CoreContext {
  config: BridgeConfig;
  store: BridgeStore;
  matrix: MatrixPort;
  network: RemoteNetwork;
  log: CoreLogger;
  sealer: Sealer;
  /** told about every message bridged or failed (a no-op without metrics) */
  metrics: BridgeMetrics;
  /** the connected session of a Matrix user, if logged in and connected */
  session(owner: string): RemoteSession | undefined;
}
