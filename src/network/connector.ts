/**
 * How the bridge composes a connector (runtime.ts picks one by name, src/connectors/): what a
 * connector declares about itself (name, config schema, secrets, startable checks) and what
 * it is given (its validated config section, its own storage, the secret box for its keys at
 * rest, a logger). No Matrix imports and no connector imports here, like remote-network.ts.
 */
import type Database from 'better-sqlite3';
import type { JSONSchemaType } from 'ajv';
import type { RemoteNetwork } from './remote-network';

/** Seals bytes at rest (libsodium secretbox in the bridge); decided by the composition, not
 *  the connector, so the bridge's own sealed data and the connector's share one key policy. */
export interface AtRestBox {
  seal(plaintext: Uint8Array): Uint8Array;
  open(sealed: Uint8Array): Uint8Array;
}

/**
 * The connector's own storage: a SQLite database opened for it alone (a file of its own next
 * to the bridge's, private to the bridge's user, WAL, secure_delete; in memory when the
 * bridge's is). The connector owns its schema and migrations; the bridge's tables are not in
 * it, and the connector never sees the bridge's database.
 */
export interface ConnectorStorage {
  readonly database: Database.Database;
}

export interface ConnectorLogger {
  /** traces for measuring (IDs only, never numbers or content); off at the default level */
  debug?(message: string, fields?: Record<string, unknown>): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What the composition hands a connector when it builds it. */
export interface ConnectorDeps<C> {
  /** the connector's config section, validated by its own schema, secrets resolved */
  config: C;
  storage: ConnectorStorage;
  keysAtRest: AtRestBox;
  log: ConnectorLogger;
}

/** A built connector: the network core talks to, and its lifetime. */
export interface NetworkConnector extends RemoteNetwork {
  /** starts connecting in the background; resolves once connected, never rejects (the
   *  connector retries by itself and logs why) */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A connector as the registry knows it, before it is built. */
export interface ConnectorDefinition<C> {
  /** the name admins write in `network.connector` */
  readonly name: string;
  /** one line for the list of known connectors */
  readonly description: string;
  /** the schema of the connector's config section (keys beside `connector`); ajv fills its
   *  defaults. Errors are reported under `network.` */
  readonly configSchema: JSONSchemaType<C>;
  /** Reads secrets kept outside the YAML (files, environment variables) into the section.
   *  Returns problems (each `network.<key>: …`) instead of throwing. */
  resolveSecrets?(config: C, env: NodeJS.ProcessEnv): string[];
  /** What would make a start fail or be unsafe (a placeholder secret, say), as
   *  `network.<key>: …` problems; checked before anything is touched. */
  startProblems?(config: C): string[];
  /** Tables the connector kept in the bridge's own database before connectors had their own
   *  storage: moved once into the connector's database at start (existing installs keep
   *  their data). Every name is the connector's; the bridge's tables are never listed. */
  readonly legacyTables?: readonly string[];
  create(deps: ConnectorDeps<C>): NetworkConnector;
}
