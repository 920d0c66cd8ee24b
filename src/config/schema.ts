/**
 * JSON schema of the configuration. Typed as JSONSchemaType<BridgeConfig>, so adding a key
 * to the TypeScript type without adding it here (or the reverse) fails to compile.
 * Defaults live here too: ajv fills them in (`useDefaults`), so the rest of the bridge
 * sees a complete config.
 */
import type { JSONSchemaType } from 'ajv';
import type { BridgeConfig, PermissionLevel } from './types';

const port = { type: 'integer', minimum: 1, maximum: 65535 } as const;
const httpUrl = { type: 'string', pattern: '^https?://[^\\s]+$' } as const;
const optionalString = { type: 'string', nullable: true, minLength: 1 } as const;
/** A section that may be left out: ajv inserts `{}` and then fills each key's own default.
 *  Typed `never` because the schema types want a complete section as the default. */
const sectionDefault = {} as never;

export const configSchema: JSONSchemaType<BridgeConfig> = {
  type: 'object',
  additionalProperties: false,
  required: ['homeserver', 'appservice', 'database', 'bridge', 'network', 'security', 'logging', 'metrics', 'provisioning'],
  properties: {
    homeserver: {
      type: 'object',
      additionalProperties: false,
      required: ['url', 'domain'],
      properties: {
        url: httpUrl,
        domain: { type: 'string', pattern: '^[A-Za-z0-9.:\\[\\]-]+$' },
      },
    },
    appservice: {
      type: 'object',
      additionalProperties: false,
      required: ['address', 'port', 'url', 'id', 'registration', 'bot_username', 'bot_displayname', 'ghost_username_template'],
      properties: {
        address: { type: 'string', minLength: 1, default: '127.0.0.1' },
        port,
        url: httpUrl,
        id: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', default: 'interop' },
        registration: { type: 'string', minLength: 1, default: 'registration.yaml' },
        bot_username: { type: 'string', pattern: '^[a-z0-9._=/+-]+$', default: 'interopbot' },
        bot_displayname: { type: 'string', default: 'Interop bridge bot' },
        ghost_username_template: {
          type: 'string',
          // the template must contain {phone} exactly once, or ghosts would collide
          pattern: '^[a-z0-9._=/-]*\\{phone\\}[a-z0-9._=/-]*$',
          default: 'wa_{phone}',
        },
      },
    },
    database: {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'path', 'pool_size'],
      default: sectionDefault,
      properties: {
        type: { type: 'string', enum: ['sqlite', 'postgres'], default: 'sqlite' },
        path: { type: 'string', minLength: 1, default: 'bridge.db' },
        // which combinations go together is checked after the schema (src/config/database.ts)
        url: { type: 'string', nullable: true, pattern: '^postgres(ql)?://' },
        pool_size: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
      },
    },
    bridge: {
      type: 'object',
      additionalProperties: false,
      required: ['permissions', 'command_prefix', 'show_phone_in_displayname', 'max_media_bytes', 'connection_notice_delay_ms', 'new_chats', 'message_requests', 'providers', 'delivery'],
      properties: {
        permissions: {
          type: 'object',
          required: [],
          minProperties: 1,
          additionalProperties: { type: 'string', enum: ['user', 'admin'] as PermissionLevel[] },
        },
        command_prefix: { type: 'string', default: '!wa' },
        show_phone_in_displayname: { type: 'boolean', default: true },
        user_guide_url: { ...httpUrl, nullable: true, maxLength: 2000 },
        new_chats: {
          type: 'object',
          additionalProperties: false,
          required: ['burst', 'per_hour'],
          default: { burst: 20, per_hour: 60 },
          properties: {
            burst: { type: 'integer', minimum: 1, maximum: 100_000, default: 20 },
            per_hour: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 60 },
          },
        },
        message_requests: {
          type: 'object',
          additionalProperties: false,
          required: ['enabled', 'notices_per_hour', 'held_per_sender', 'held_total', 'summary_quiet_seconds'],
          default: sectionDefault,
          properties: {
            enabled: { type: 'boolean', default: true },
            notices_per_hour: { type: 'integer', minimum: 1, maximum: 10_000, default: 10 },
            held_per_sender: { type: 'integer', minimum: 1, maximum: 100_000, default: 50 },
            held_total: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 500 },
            summary_quiet_seconds: { type: 'integer', minimum: 1, maximum: 86_400, default: 60 },
          },
        },
        providers: {
          type: 'object',
          additionalProperties: false,
          required: ['default', 'summary_interval_hours'],
          default: sectionDefault,
          properties: {
            default: { type: 'string', enum: ['allow', 'block', 'allow-e2ee-only'], default: 'allow' },
            summary_interval_hours: { type: 'number', exclusiveMinimum: 0, maximum: 8760, default: 24 },
          },
        },
        max_media_bytes: { type: 'integer', minimum: 1, maximum: 2147483647, default: 104857600 },
        connection_notice_delay_ms: { type: 'integer', minimum: 0, maximum: 86_400_000, default: 30_000 },
        delivery: {
          type: 'object',
          additionalProperties: false,
          required: ['retry_initial_ms', 'retry_max_ms', 'max_age_seconds', 'delayed_after_ms', 'unreadable_notice_window_ms'],
          default: sectionDefault,
          properties: {
            retry_initial_ms: { type: 'integer', minimum: 1, maximum: 3_600_000, default: 1000 },
            retry_max_ms: { type: 'integer', minimum: 1, maximum: 86_400_000, default: 60_000 },
            max_age_seconds: { type: 'integer', minimum: 1, maximum: 31_536_000, default: 86_400 },
            delayed_after_ms: { type: 'integer', minimum: 0, maximum: 86_400_000, default: 10_000 },
            unreadable_notice_window_ms: { type: 'integer', minimum: 0, maximum: 86_400_000, default: 60_000 },
          },
        },
      },
    },
    // cast: JSONSchemaType cannot express NetworkSection's index signature (the connector's
    // own keys, which its schema checks: src/connectors/prepare.ts)
    network: {
      type: 'object',
      additionalProperties: true,
      required: [],
      properties: {
        connector: { type: 'string', nullable: true, pattern: '^[a-z0-9_-]+$' },
      },
    } as never,
    security: {
      type: 'object',
      additionalProperties: false,
      required: ['encryption', 'trust', 'mark_hops', 'refuse_unencrypted_providers', 'hold_on_key_change', 'undecryptable_timeout_seconds'],
      default: sectionDefault,
      properties: {
        encryption: { type: 'string', enum: ['off', 'allow', 'default', 'require'], default: 'off' },
        trust: {
          type: 'object',
          additionalProperties: false,
          required: ['share_room_keys_with', 'accept_messages_from'],
          default: sectionDefault,
          properties: {
            share_room_keys_with: { type: 'string', enum: ['cross_signed_if_set_up', 'all_devices', 'cross_signed_only'], default: 'cross_signed_if_set_up' },
            accept_messages_from: { type: 'string', enum: ['any_device', 'cross_signed_devices'], default: 'any_device' },
          },
        },
        mark_hops: { type: 'boolean', const: true, default: true },
        refuse_unencrypted_providers: { type: 'boolean', default: false },
        hold_on_key_change: { type: 'boolean', default: false },
        undecryptable_timeout_seconds: { type: 'integer', minimum: 1, maximum: 86_400, default: 60 },
        key_store_secret: optionalString,
        key_store_secret_file: optionalString,
      },
    },
    logging: {
      type: 'object',
      additionalProperties: false,
      required: ['level', 'redact'],
      default: sectionDefault,
      properties: {
        level: { type: 'string', enum: ['trace', 'debug', 'info', 'warn', 'error'], default: 'info' },
        redact: { type: 'boolean', default: true },
      },
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      required: ['enabled', 'address', 'port'],
      default: sectionDefault,
      properties: {
        enabled: { type: 'boolean', default: false },
        address: { type: 'string', minLength: 1, default: '127.0.0.1' },
        port: { ...port, default: 9002 },
      },
    },
    provisioning: {
      type: 'object',
      additionalProperties: false,
      required: ['enabled', 'address', 'port'],
      default: sectionDefault,
      properties: {
        enabled: { type: 'boolean', default: false },
        address: { type: 'string', minLength: 1, default: '127.0.0.1' },
        port: { ...port, default: 29331 },
        shared_secret: optionalString,
      },
    },
  },
};
