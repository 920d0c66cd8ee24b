/**
 * Turns the `network:` section into a connector ready to build: finds it by name, validates
 * the rest of the section with the connector's own schema (problems named `network.<key>`),
 * reads the connector's secrets and asks it what would refuse a start. Every problem is
 * reported at once, as for the rest of the config.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import { ConfigError, formatAjvErrors } from '../config/errors';
import type { NetworkSection } from '../config/types';
import type { ConnectorDefinition } from '../network/connector';
import { findConnector, LEGACY_CONNECTOR } from './registry';

export interface PreparedConnector {
  definition: ConnectorDefinition<never>;
  /** the validated section (defaults filled, secrets resolved), typed by the connector */
  config: never;
  /** for the log once logging is up: a config older than connectors, say */
  warnings: string[];
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true });
const compiled = new WeakMap<object, ValidateFunction>();

function validatorOf(definition: ConnectorDefinition<never>): ValidateFunction {
  let validate = compiled.get(definition);
  if (!validate) {
    validate = ajv.compile(definition.configSchema);
    compiled.set(definition, validate);
  }
  return validate;
}

export const LEGACY_WARNING =
  `network.connector is not set: running the "${LEGACY_CONNECTOR}" connector, as configs written before connectors did. ` +
  `Add \`connector: ${LEGACY_CONNECTOR}\` to the network section; a later version will require it.`;

/** Throws ConfigError listing every problem of the section; `network` itself is not changed. */
export function prepareConnector(network: NetworkSection, env: NodeJS.ProcessEnv): PreparedConnector {
  const warnings: string[] = [];
  const { connector: name, ...rest } = structuredClone(network);
  if (name === undefined) warnings.push(LEGACY_WARNING);
  const definition = findConnector(name ?? LEGACY_CONNECTOR);
  const validate = validatorOf(definition);
  if (!validate(rest)) throw new ConfigError(formatAjvErrors(validate.errors ?? [], 'network'));
  const config = rest as never;
  const problems = [...(definition.resolveSecrets?.(config, env) ?? [])];
  if (problems.length === 0) problems.push(...(definition.startProblems?.(config) ?? []));
  if (problems.length > 0) throw new ConfigError(problems);
  return { definition, config, warnings };
}
