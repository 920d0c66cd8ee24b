/**
 * The demo's files, made on the first run and reused after: secrets (0600), Synapse's
 * homeserver.yaml, the bridge's config.yaml and registration.yaml. A second run finds the
 * same users, logins and chats, because nothing here is regenerated that holds state.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/load';
import type { BridgeConfig } from '../src/config/types';
import { generateRegistration, writeRegistration } from '../src/registration/generate';
import { homeserverConfig, repoRoot } from '../tests/helpers/synapse';

export interface DemoPorts {
  synapse: number;
  gateway: number;
  bridge: number;
}

export interface DemoSecrets {
  synapseSharedSecret: string;
  macaroon: string;
  form: string;
  keyStore: string;
  matrixPassword: string;
}

export interface DemoSetup {
  dir: string;
  ports: DemoPorts;
  secrets: DemoSecrets;
  homeserverUrl: string;
  gatewayUrl: string;
  synapseConfig: string;
  bridgeConfig: string;
  /** the dev gateway's well-known secret for the `bridge` provider */
  providerSecret: string;
}

export const SERVER_NAME = 'localhost';

function port(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name}=${value}: not a port number`);
  return n;
}

function secretsOf(dir: string): DemoSecrets {
  const path = join(dir, 'secrets.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as DemoSecrets;
  const secrets: DemoSecrets = {
    synapseSharedSecret: randomBytes(24).toString('hex'),
    macaroon: randomBytes(32).toString('hex'),
    form: randomBytes(32).toString('hex'),
    keyStore: randomBytes(32).toString('base64'),
    matrixPassword: randomBytes(9).toString('base64url'),
  };
  writeFileSync(path, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** Where the bridge finds everything, as the bridge sees it (loopback here, service names in a container network). */
export interface BridgeLayout {
  homeserverUrl: string;
  gatewayUrl: string;
  /** bind address; undefined leaves it to INTEROP_LISTEN_ADDRESS (the container image's 0.0.0.0) */
  address?: string;
  port: number;
  /** where the homeserver reaches the bridge */
  url: string;
  registration: string;
  database: string;
}

/** The bridge's config.yaml for a layout: the sample's settings, with the demo's network and no secrets in it. */
export function bridgeConfigFor(layout: BridgeLayout): BridgeConfig {
  const config = parseConfig(readFileSync(join(repoRoot, 'config.sample.yaml'), 'utf8'), 'config.sample.yaml');
  config.homeserver = { url: layout.homeserverUrl, domain: SERVER_NAME };
  if (layout.address === undefined) delete (config.appservice as Partial<BridgeConfig['appservice']>).address;
  else config.appservice.address = layout.address;
  config.appservice.port = layout.port;
  config.appservice.url = layout.url;
  config.appservice.registration = layout.registration;
  config.database.path = layout.database;
  config.bridge.permissions = { [SERVER_NAME]: 'user' };
  config.network.gateway_url = layout.gatewayUrl;
  config.network.provider_id = 'bridge';
  // secrets come from the environment the bridge is given, as an admin would do it
  delete config.network.provider_secret;
  delete config.network.provider_secret_file;
  delete config.security.key_store_secret;
  delete config.security.key_store_secret_file;
  config.metrics.enabled = false;
  if (layout.address === undefined) delete (config.metrics as Partial<BridgeConfig['metrics']>).address;
  return config;
}

export function prepareDemo(dir: string): DemoSetup {
  mkdirSync(join(dir, 'synapse'), { recursive: true });
  mkdirSync(join(dir, 'sim'), { recursive: true });
  const ports = { synapse: port('DEMO_SYNAPSE_PORT', 8008), gateway: port('DEMO_GATEWAY_PORT', 8787), bridge: port('DEMO_BRIDGE_PORT', 29330) };
  const secrets = secretsOf(dir);
  const homeserverUrl = `http://127.0.0.1:${ports.synapse}`;
  const gatewayUrl = `ws://127.0.0.1:${ports.gateway}`;
  const providerSecret = 'bridge-dev-secret';

  const config = bridgeConfigFor({
    homeserverUrl, gatewayUrl, address: '127.0.0.1', port: ports.bridge, url: `http://127.0.0.1:${ports.bridge}`,
    registration: join(dir, 'registration.yaml'), database: join(dir, 'bridge.db'),
  });
  const bridgeConfig = join(dir, 'config.yaml');
  writeFileSync(bridgeConfig, stringify(config), { mode: 0o600 });
  // the registration holds the tokens Synapse knows the bridge by: made once, then kept
  if (!existsSync(config.appservice.registration)) {
    writeRegistration(config.appservice.registration, generateRegistration(config, config.appservice.url));
  }

  const synapseDir = join(dir, 'synapse');
  const homeserver = {
    ...homeserverConfig({
      serverName: SERVER_NAME, port: ports.synapse, dir: synapseDir, sharedSecret: secrets.synapseSharedSecret,
      registrationFiles: [config.appservice.registration],
    }),
    // kept across runs, so logins (access tokens) made in a Matrix client stay valid
    macaroon_secret_key: secrets.macaroon,
    form_secret: secrets.form,
  };
  const synapseConfig = join(synapseDir, 'homeserver.yaml');
  writeFileSync(synapseConfig, stringify(homeserver), { mode: 0o600 });
  return { dir, ports, secrets, homeserverUrl, gatewayUrl, synapseConfig, bridgeConfig, providerSecret };
}
