/**
 * Reads, validates and completes the YAML configuration. Every problem is reported at once,
 * each naming its key path; secrets may come from files or environment variables so they
 * need not sit in the YAML.
 */
import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { parseDocument } from 'yaml';
import { ConfigError, formatAjvErrors } from './errors';
import { configSchema } from './schema';
import { databaseProblems } from './database';
import { describeReadError } from '../startup/file-errors';
import type { BridgeConfig } from './types';

const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true });
const validate = ajv.compile(configSchema);

/** Environment variables that override secrets in the file (documented in the README); the
 *  connector's own (INTEROP_PROVIDER_SECRET) are its own (src/network/interop/config.ts). */
export const SECRET_ENV = {
  keyStoreSecret: 'INTEROP_KEY_STORE_SECRET',
  provisioningSecret: 'INTEROP_PROVISIONING_SECRET',
} as const;

/**
 * Where a listener binds when the file does not say (appservice.address, metrics.address,
 * provisioning.address):
 * this variable if set, else 127.0.0.1. The container image sets it to 0.0.0.0, because a
 * published port cannot reach a loopback listener inside a container; an address written in
 * the file always wins.
 */
export const LISTEN_ADDRESS_ENV = 'INTEROP_LISTEN_ADDRESS';

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Fills missing listener addresses from LISTEN_ADDRESS_ENV, before the schema's defaults. */
function defaultListenAddresses(data: unknown, env: NodeJS.ProcessEnv): void {
  const address = env[LISTEN_ADDRESS_ENV];
  if (!address || !isMapping(data)) return;
  for (const section of ['appservice', 'metrics', 'provisioning']) {
    const value = data[section];
    if (isMapping(value) && value.address === undefined) value.address = address;
  }
}

/** Parses and validates YAML text; throws ConfigError listing every problem. */
export function parseConfig(yamlText: string, source = 'config', env: NodeJS.ProcessEnv = {}): BridgeConfig {
  const doc = parseDocument(yamlText, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`), source);
  }
  const data: unknown = doc.toJS() ?? {};
  defaultListenAddresses(data, env);
  return validateConfig(data, source);
}

/** Validates an already-parsed object (tests build configs this way); fills defaults in place. */
export function validateConfig(data: unknown, source = 'config'): BridgeConfig {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(['(top level): must be a mapping of keys to values'], source);
  }
  if (!validate(data)) {
    throw new ConfigError(formatAjvErrors(validate.errors ?? []), source);
  }
  const problems = databaseProblems(data.database);
  if (problems.length > 0) throw new ConfigError(problems, source);
  return data;
}

/** Reads core's secrets from `*_file` keys and the environment; the environment wins. The
 *  connector reads its own when it is prepared (src/connectors/prepare.ts). */
export function resolveSecrets(config: BridgeConfig, env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const problems: string[] = [];
  const fromFile = (path: string | undefined, key: string): string | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8').trim();
    } catch (error) {
      problems.push(`${key}: ${describeReadError(path, error)}`);
      return undefined;
    }
  };
  const security = { ...config.security };
  security.key_store_secret =
    env[SECRET_ENV.keyStoreSecret] ??
    fromFile(security.key_store_secret_file, 'security.key_store_secret_file') ??
    security.key_store_secret;
  const provisioning = { ...config.provisioning };
  provisioning.shared_secret = env[SECRET_ENV.provisioningSecret] ?? provisioning.shared_secret;
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...config, security, provisioning };
}

/** Reads a config file, validates it and resolves its secrets. */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`], path);
  }
  return resolveSecrets(parseConfig(text, path, env), env);
}
