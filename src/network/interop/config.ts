/**
 * The interop connector's own config section (`network:` with `connector: interop`): its
 * type, its schema (ajv, typed against the type so they cannot drift), where its secret may
 * come from besides the YAML, and what refuses a start. The bridge's core config knows none
 * of these keys.
 */
import type { JSONSchemaType } from 'ajv';
import { readFileSync } from 'node:fs';
import { describeReadError } from '../../startup/file-errors';
import { isPlaceholderSecret } from '../../startup/secrets';

export interface InteropConfig {
  /** WebSocket URL of the interop gateway */
  gateway_url: string;
  provider_id: string;
  /** provider secret; prefer provider_secret_file or the env var INTEROP_PROVIDER_SECRET */
  provider_secret?: string;
  provider_secret_file?: string;
}

/** overrides provider_secret and provider_secret_file (documented in the README) */
export const PROVIDER_SECRET_ENV = 'INTEROP_PROVIDER_SECRET';

export const interopConfigSchema: JSONSchemaType<InteropConfig> = {
  type: 'object',
  additionalProperties: false,
  required: ['gateway_url', 'provider_id'],
  properties: {
    gateway_url: { type: 'string', pattern: '^wss?://[^\\s]+$' },
    provider_id: { type: 'string', minLength: 1 },
    provider_secret: { type: 'string', nullable: true, minLength: 1 },
    provider_secret_file: { type: 'string', nullable: true, minLength: 1 },
  },
};

/** The environment wins over the file, the file over the YAML value. */
export function resolveInteropSecrets(config: InteropConfig, env: NodeJS.ProcessEnv): string[] {
  const fromEnv = env[PROVIDER_SECRET_ENV];
  if (fromEnv !== undefined) {
    config.provider_secret = fromEnv;
    return [];
  }
  if (config.provider_secret_file === undefined) return [];
  try {
    config.provider_secret = readFileSync(config.provider_secret_file, 'utf8').trim();
    return [];
  } catch (error) {
    return [`network.provider_secret_file: ${describeReadError(config.provider_secret_file, error)}`];
  }
}

export function interopStartProblems(config: InteropConfig): string[] {
  const secret = config.provider_secret;
  if (!secret) return [`network.provider_secret: required (or provider_secret_file, or ${PROVIDER_SECRET_ENV})`];
  if (isPlaceholderSecret(secret)) {
    return [`network.provider_secret: is the sample's placeholder (change-me); set the secret the interop gateway gave your provider (better: ${PROVIDER_SECRET_ENV} or provider_secret_file)`];
  }
  return [];
}
