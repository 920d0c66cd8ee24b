/**
 * Configuration of interop-gateway: a YAML (or JSON) file and/or CLI flags, validated by a
 * schema so a typo is an error naming the field, not a silently ignored setting.
 */
import { readFileSync } from 'node:fs';
import Ajv, { type SchemaObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { describeAjvError } from '../protocol/validate';

export interface ProviderConfig {
  /** lower-case letters, digits, '-' and '_' */
  id: string;
  /** shared secret the provider presents in `hello` */
  secret: string;
  /** false: accounts of this provider exchange plaintext content (no Signal keys) */
  e2ee: boolean;
  /** a name to show people (providers.list); absent: the id is the name */
  displayName?: string;
  /** directory look-ups (keys.fetch, profile.get): bucket size and refill per second */
  lookupBurst?: number;
  lookupsPerSecond?: number;
}

export interface GatewayConfig {
  host: string;
  /** 0 lets the OS choose (tests) */
  port: number;
  databasePath: string;
  /** development mode: verification codes are returned in `devCode` and printed on stdout */
  devMode: boolean;
  providers: ProviderConfig[];
  maxFrameBytes: number;
  maxMediaBytes: number;
  preKeyLowWater: number;
  deliveryWindow: number;
  codeTtlMs: number;
  /** accepted submissions are remembered this long for idempotent resubmission */
  submissionMemoryMs: number;
}

export const DEFAULT_LOOKUP_BURST = 100;
export const DEFAULT_LOOKUPS_PER_SECOND = 10;

export const DEFAULTS: Omit<GatewayConfig, 'providers' | 'databasePath' | 'devMode'> = {
  host: '127.0.0.1',
  port: 8787,
  maxFrameBytes: 16 * 1024 * 1024,
  maxMediaBytes: 10 * 1024 * 1024,
  preKeyLowWater: 10,
  deliveryWindow: 1000,
  codeTtlMs: 10 * 60 * 1000,
  submissionMemoryMs: 7 * 24 * 3600 * 1000,
};

/** The development network: a native e2ee provider for simulated users, one without e2ee, and
 *  one for the bridge. Well-known secrets: for 127.0.0.1 development only. */
export const DEV_PROVIDERS: ProviderConfig[] = [
  { id: 'native', secret: 'native-dev-secret', e2ee: true },
  { id: 'plainchat', secret: 'plainchat-dev-secret', e2ee: false },
  { id: 'bridge', secret: 'bridge-dev-secret', e2ee: true },
];

export function devConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return { ...DEFAULTS, databasePath: 'interop-gateway.db', devMode: true, providers: DEV_PROVIDERS, ...overrides };
}

const positive: SchemaObject = { type: 'integer', minimum: 1 };
const providerSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'secret', 'e2ee'],
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' },
    secret: { type: 'string', minLength: 8, maxLength: 1024 },
    e2ee: { type: 'boolean' },
    displayName: { type: 'string', minLength: 1, maxLength: 64 },
    lookupBurst: positive,
    lookupsPerSecond: { type: 'number', exclusiveMinimum: 0 },
  },
};
const fileSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  properties: {
    host: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    databasePath: { type: 'string', minLength: 1 },
    devMode: { type: 'boolean' },
    providers: { type: 'array', minItems: 1, items: providerSchema },
    maxFrameBytes: { type: 'integer', minimum: 1024 },
    maxMediaBytes: positive,
    preKeyLowWater: { type: 'integer', minimum: 0 },
    deliveryWindow: positive,
    codeTtlMs: positive,
    submissionMemoryMs: positive,
  },
};
const validateFile = new Ajv({ strict: true }).compile<Partial<GatewayConfig>>(fileSchema);

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validate a partial configuration (from a file or from options). */
export function checkConfig(value: unknown, source: string): Partial<GatewayConfig> {
  if (!validateFile(value)) throw new ConfigError(`${source}: ${describeAjvError(validateFile.errors).error}`);
  const ids = new Set<string>();
  for (const p of value.providers ?? []) {
    if (ids.has(p.id)) throw new ConfigError(`${source}: provider "${p.id}" is listed twice`);
    ids.add(p.id);
  }
  return value;
}

export function loadConfigFile(path: string): Partial<GatewayConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`config file ${path} is not valid YAML/JSON: ${(e as Error).message}`);
  }
  return checkConfig(value ?? {}, path);
}

/** Fill defaults. A configuration from a file is production unless it says devMode: true. */
export function completeConfig(partial: Partial<GatewayConfig>): GatewayConfig {
  if (!partial.providers || partial.providers.length === 0) throw new ConfigError('at least one provider must be configured');
  if (!partial.databasePath) throw new ConfigError('databasePath is required');
  const config: GatewayConfig = { ...DEFAULTS, devMode: false, ...partial } as GatewayConfig;
  if (config.maxMediaBytes * 1.34 + 1024 > config.maxFrameBytes) {
    throw new ConfigError(
      `maxFrameBytes (${config.maxFrameBytes}) must hold a base64 media upload of maxMediaBytes (${config.maxMediaBytes})`,
    );
  }
  return config;
}
