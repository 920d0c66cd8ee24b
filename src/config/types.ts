/**
 * The bridge's configuration, as read from YAML. The JSON schema in ./schema.ts is typed
 * against this interface (ajv's JSONSchemaType), so the two cannot drift apart.
 */

export type PermissionLevel = 'user' | 'admin';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface HomeserverConfig {
  /** client-server API base URL the bridge talks to */
  url: string;
  /** server name: the part after the colon in user IDs */
  domain: string;
}

export interface AppserviceConfig {
  /** address the appservice HTTP listener binds to */
  address: string;
  port: number;
  /** URL at which the homeserver reaches this bridge (written into the registration) */
  url: string;
  /** registration ID, unique per homeserver */
  id: string;
  /** path of the registration file the bridge reads its tokens from */
  registration: string;
  bot_username: string;
  bot_displayname: string;
  /** localpart template for ghosts; `{phone}` becomes the E.164 number, e.g. `wa_{phone}` */
  ghost_username_template: string;
}

export interface DatabaseConfig {
  type: 'sqlite' | 'postgres';
  /** the SQLite file (type sqlite); with postgres, where the files that stay local are named
   *  from (the connector's bridge.interop.db, the crypto store's bridge.crypto.db) */
  path: string;
  /** postgres://user:password@host:port/database (type postgres only); a secret: never logged */
  url?: string;
  /** PostgreSQL connections at most */
  pool_size: number;
}

export interface BridgeSection {
  /** Matrix user ID (`@alice:example.org`), server name (`example.org`) or `*` → level */
  permissions: Record<string, PermissionLevel>;
  /** optional prefix for commands in the management room, e.g. `!wa` */
  command_prefix: string;
  /** whether ghost display names show the phone number (privacy choice) */
  show_phone_in_displayname: boolean;
  /** where users read docs/user-guide.md (an http(s) URL); the bot's `help` links it */
  user_guide_url?: string;
  /** chats with numbers a user has no chat with yet, per user: each one is a directory
   *  look-up at the network, so this keeps the bridge from being used to enumerate numbers */
  new_chats: { burst: number; per_hour: number };
  message_requests: MessageRequestsConfig;
  providers: ProvidersConfig;
  /** largest media file the bridge moves, in bytes */
  max_media_bytes: number;
  /** a login's connection must stay down this long before its owner is told (a blip is no
   *  notice); the return is told only after a drop was */
  connection_notice_delay_ms: number;
  delivery: DeliveryConfig;
}

/** First messages from unknown numbers (docs/user-guide.md, "Message requests"). */
export interface MessageRequestsConfig {
  /** false: a message from anyone opens a portal at once (no requests) */
  enabled: boolean;
  /** request notices per user and hour, overall (a burst of this many, then this rate);
   *  requests past it wait without a notice and are listed by `requests` */
  notices_per_hour: number;
  /** messages held from one unknown number; more are dropped */
  held_per_sender: number;
  /** messages held from all of a user's unknown numbers together; more are dropped */
  held_total: number;
  /** dropped messages are summarised once this long passed without another drop */
  summary_quiet_seconds: number;
}

/** What a provider's users may send a Matrix user by default, before that user chose
 *  (docs/user-guide.md, "Providers"). `allow-e2ee-only`: a provider without end-to-end
 *  encryption is blocked unless the user allows it. */
export type ProviderDefault = 'allow' | 'block' | 'allow-e2ee-only';

export interface ProvidersConfig {
  default: ProviderDefault;
  /** messages dropped from blocked providers are summarised to the user at most once per
   *  this many hours */
  summary_interval_hours: number;
}

/** How the bridge retries delivery, both directions (see docs/delivery.md). */
export interface DeliveryConfig {
  /** first retry delay of a message whose delivery failed transiently */
  retry_initial_ms: number;
  /** longest delay between retries; retries never stop while the failure is transient */
  retry_max_ms: number;
  /** a message still undelivered after this many seconds is given up, with a notice */
  max_age_seconds: number;
  /** a message delayed longer than this is shown as delayed on the Matrix side */
  delayed_after_ms: number;
  /** after a notice for an unreadable remote message, further ones from that contact within
   *  this long are counted and summarised in one notice (0: a notice each) */
  unreadable_notice_window_ms: number;
}

/**
 * Which connector the bridge runs, and that connector's own settings beside the name. Core
 * knows only `connector`; the rest is validated by the connector's schema (src/connectors/,
 * e.g. src/network/interop/config.ts), and its problems are reported under `network.`.
 */
export interface NetworkSection {
  /** the connector's name (`interop`); left out only by configs older than connectors,
   *  which get `interop` and a deprecation warning */
  connector?: string;
  [key: string]: unknown;
}

/** End-to-bridge encryption of Matrix portal rooms (docs/security.md, "Encrypted rooms").
 *  `off`: the bridge never encrypts and cannot read encrypted rooms; `allow`: it reads and
 *  writes portals that are encrypted; `default`: also creates new portals encrypted;
 *  `require`: also turns encryption on in a plain portal before sending into it, never sends
 *  a portal plaintext and does not bridge plaintext from one (src/matrix/required-encryption.ts). */
export type MatrixEncryption = 'off' | 'allow' | 'default' | 'require';

/** Which devices of a room's members get the room keys of the bridge's messages: devices their
 *  owner cross-signed when the owner has cross-signing, else all (default); all devices; or
 *  cross-signed devices only (a user without cross-signing then gets no keys). */
export type RoomKeySharing = 'cross_signed_if_set_up' | 'all_devices' | 'cross_signed_only';
/** Whose encrypted messages the bridge accepts from a portal's owner: any of their devices
 *  (default), or only devices they cross-signed (users without cross-signing are refused). */
export type AcceptMessagesFrom = 'any_device' | 'cross_signed_devices';

/** Device trust of end-to-bridge encryption (docs/admin-guide.md, "Encrypted rooms"). */
export interface TrustConfig {
  share_room_keys_with: RoomKeySharing;
  accept_messages_from: AcceptMessagesFrom;
}

export interface SecurityConfig {
  /** end-to-bridge encryption of portal rooms; anything but `off` needs the homeserver's MSC2409/MSC3202/MSC4190 support */
  encryption: MatrixEncryption;
  /** which Matrix devices the bridge's devices share keys with and accept messages from */
  trust: TrustConfig;
  /** attach the hop trail to every bridged event (always on; a key so admins see it exists) */
  mark_hops: boolean;
  /** refuse contacts whose provider has no end-to-end encryption */
  refuse_unencrypted_providers: boolean;
  /** hold messages from a contact whose identity key changed until the user confirms */
  hold_on_key_change: boolean;
  /** how long an encrypted Matrix message whose room key has not reached the bridge waits for
   *  it before its sender is told it was not delivered (src/matrix/awaiting-keys.ts) */
  undecryptable_timeout_seconds: number;
  /** secret that encrypts stored keys at rest; prefer key_store_secret_file or the env var */
  key_store_secret?: string;
  key_store_secret_file?: string;
}

export interface LoggingConfig {
  level: LogLevel;
  /** hide phone numbers, remote people's Matrix IDs and message content (default); false
   *  only when the admin wants full detail */
  redact: boolean;
}

export interface MetricsConfig {
  enabled: boolean;
  address: string;
  port: number;
}

export interface ProvisioningConfig {
  enabled: boolean;
  /** address the provisioning API's HTTP listener binds to (see docs/provisioning.openapi.yaml) */
  address: string;
  port: number;
  /** shared secret for the provisioning API; prefer the env var INTEROP_PROVISIONING_SECRET */
  shared_secret?: string;
}

export interface BridgeConfig {
  homeserver: HomeserverConfig;
  appservice: AppserviceConfig;
  database: DatabaseConfig;
  bridge: BridgeSection;
  network: NetworkSection;
  security: SecurityConfig;
  logging: LoggingConfig;
  metrics: MetricsConfig;
  provisioning: ProvisioningConfig;
}
