/**
 * The connectors this build knows, by the name admins write in `network.connector`. Adding a
 * connector is one line here and its own directory under src/network/; core/ never changes.
 */
import { interopConnector } from '../network/interop/connector';
import type { ConnectorDefinition } from '../network/connector';
import { ConfigError } from '../config/errors';

/** What configs written before connectors existed ran (their `network:` had no `connector`). */
export const LEGACY_CONNECTOR = 'interop';

/** the definitions, each closed over its own config type (see prepare.ts) */
const KNOWN: ReadonlyMap<string, ConnectorDefinition<never>> = new Map(
  [interopConnector as unknown as ConnectorDefinition<never>].map((c) => [c.name, c]),
);

export function knownConnectors(): { name: string; description: string }[] {
  return [...KNOWN.values()].map(({ name, description }) => ({ name, description }));
}

/** The connector named `name`; a ConfigError listing the known ones when there is none. */
export function findConnector(name: string): ConnectorDefinition<never> {
  const found = KNOWN.get(name);
  if (found) return found;
  const known = knownConnectors().map((c) => `${c.name} (${c.description})`).join('; ');
  throw new ConfigError([`network.connector: unknown connector "${name}"; this build knows: ${known}`]);
}
