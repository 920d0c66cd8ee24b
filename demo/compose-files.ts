#!/usr/bin/env node
/**
 * The files docker-compose.yml mounts: the demo's set-up (same bridge config, same
 * registration, same homeserver.yaml), laid out for containers that reach each other by
 * service name. `node dist/demo/compose-files.js [dir]` writes them to `dir` (default
 * ./compose-data); a second run keeps the secrets and the registration, so Synapse and the
 * bridge keep knowing each other.
 *
 *   dir/bridge/config.yaml, registration.yaml   mounted at /data in the bridge container
 *   dir/bridge.env                              its secrets (env_file)
 *   dir/synapse/homeserver.yaml                 mounted at /data in the Synapse container
 *   dir/synapse/appservices/interop.yaml        the same registration, for Synapse
 *   dir/gateway/, dir/sim/                      data of the reference network and a simulated person
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { generateRegistration, writeRegistration } from '../src/registration/generate';
import { homeserverConfig, repoRoot } from '../tests/helpers/synapse';
import { bridgeConfigFor, SERVER_NAME } from './setup';

/** service names and ports of docker-compose.yml */
export const COMPOSE = {
  synapse: { host: 'synapse', port: 8008 },
  gateway: { host: 'gateway', port: 8787 },
  bridge: { host: 'bridge', port: 29330 },
  /** the reference gateway's --dev secret of provider `bridge` */
  providerSecret: 'bridge-dev-secret',
} as const;

interface ComposeSecrets {
  keyStore: string;
  synapseSharedSecret: string;
  macaroon: string;
  form: string;
}

function secretsOf(dir: string): ComposeSecrets {
  const path = join(dir, 'secrets.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as ComposeSecrets;
  const secrets = {
    keyStore: randomBytes(32).toString('base64'),
    synapseSharedSecret: randomBytes(24).toString('hex'),
    macaroon: randomBytes(32).toString('hex'),
    form: randomBytes(32).toString('hex'),
  };
  writeFileSync(path, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

export function writeComposeFiles(dir: string): void {
  for (const sub of ['bridge', 'synapse/appservices', 'gateway', 'sim']) mkdirSync(join(dir, sub), { recursive: true });
  const secrets = secretsOf(dir);
  const { synapse, gateway, bridge } = COMPOSE;
  // paths as the bridge container sees them (its volume is /data)
  const config = bridgeConfigFor({
    homeserverUrl: `http://${synapse.host}:${synapse.port}`,
    gatewayUrl: `ws://${gateway.host}:${gateway.port}`,
    port: bridge.port,
    url: `http://${bridge.host}:${bridge.port}`,
    registration: '/data/registration.yaml',
    database: '/data/bridge.db',
  });
  writeFileSync(join(dir, 'bridge', 'config.yaml'), stringify(config), { mode: 0o600 });
  const registration = join(dir, 'bridge', 'registration.yaml');
  if (!existsSync(registration)) writeRegistration(registration, generateRegistration(config, config.appservice.url));
  copyFileSync(registration, join(dir, 'synapse', 'appservices', 'interop.yaml'));
  writeFileSync(
    join(dir, 'bridge.env'),
    `INTEROP_KEY_STORE_SECRET=${secrets.keyStore}\nINTEROP_PROVIDER_SECRET=${COMPOSE.providerSecret}\n`,
    { mode: 0o600 },
  );

  const base = homeserverConfig({
    serverName: SERVER_NAME, port: synapse.port, dir: '/data', sharedSecret: secrets.synapseSharedSecret,
    registrationFiles: ['/data/appservices/interop.yaml'],
  });
  // the test homeserver's relaxed rate limits are for test bursts, not for an example to copy
  const homeserver: Record<string, unknown> = Object.fromEntries(Object.entries(base).filter(([key]) => !key.startsWith('rc_')));
  homeserver.public_baseurl = `http://localhost:${synapse.port}/`;
  homeserver.listeners = (base.listeners as Record<string, unknown>[]).map((l) => ({ ...l, bind_addresses: ['0.0.0.0'] }));
  homeserver.macaroon_secret_key = secrets.macaroon;
  homeserver.form_secret = secrets.form;
  writeFileSync(join(dir, 'synapse', 'homeserver.yaml'), stringify(homeserver), { mode: 0o600 });
}

/** docker-compose.yml of this repository, parsed (the tests compare it with the files above). */
export function composeFile(): { services: Record<string, Record<string, unknown>> } {
  return parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Record<string, unknown>> };
}

if (require.main === module) {
  const dir = resolve(process.argv[2] ?? 'compose-data');
  writeComposeFiles(dir);
  process.stdout.write(
    `wrote ${dir}\n` +
      'Next: give the files to the containers\' user (uid 1000), then start:\n' +
      `  sudo chown -R 1000:1000 ${dir}\n  docker compose up -d\n` +
      'then register a Matrix user: docker compose exec synapse register_new_matrix_user -c /data/homeserver.yaml -u alice http://localhost:8008\n',
  );
}
