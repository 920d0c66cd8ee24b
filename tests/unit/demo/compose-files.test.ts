// docker-compose.yml against the files demo/compose-files.ts writes for it: every mounted
// file exists, the bridge's config loads as the image loads it, and the URLs, ports, paths and
// secrets that Synapse, the gateway and the bridge use to find each other agree. No Docker
// engine runs here, so the containers themselves are not started (see docs/admin-guide.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/config';
import { prepareConnector } from '../../../src/connectors/prepare';
import type { InteropConfig } from '../../../src/network/interop/config';
import { COMPOSE, composeFile, writeComposeFiles } from '../../../demo/compose-files';
import { repoRoot } from '../../helpers/synapse';

/** env_file lines as the bridge container gets them */
function envFile(path: string): Record<string, string> {
  return Object.fromEntries(readFileSync(path, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** ENV lines of the Dockerfile's runtime stage */
function imageEnv(): Record<string, string> {
  const lines = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8').split('\n');
  const runtime = lines.slice(lines.findLastIndex((l) => l.startsWith('FROM ')));
  return Object.fromEntries(runtime.filter((l) => l.startsWith('ENV ')).map((l) => l.slice(4).split('=') as [string, string]));
}

/** maps a path inside a service's container to the host file, through its `./compose-data/x:/data` volume */
function hostPath(dir: string, service: Record<string, unknown>, inContainer: string): string {
  const volumes = service.volumes as string[];
  const [host, mount] = volumes[0].split(':');
  assert.ok(host.startsWith('./compose-data/'), `volume ${volumes[0]}`);
  assert.ok(inContainer.startsWith(`${mount}/`), `${inContainer} is not under the volume ${mount}`);
  return join(dir, host.slice('./compose-data/'.length), inContainer.slice(mount.length));
}

test('docker-compose.yml and the files compose-files.js writes for it agree', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'compose-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeComposeFiles(dir);
  const { services } = composeFile();
  const { synapse, gateway, bridge } = services;
  for (const service of Object.values(services)) {
    assert.ok(existsSync(hostPath(dir, service, '/data/x').replace(/x$/, '')), 'every volume exists');
  }

  // the bridge, loaded as the image runs it: its env_file plus the image's ENV
  const env = { ...imageEnv(), ...envFile(join(dir, (bridge.env_file as string).replace('./compose-data/', ''))) };
  const configPath = (bridge.command as string[])[(bridge.command as string[]).indexOf('-c') + 1];
  const config = loadConfig(hostPath(dir, bridge, configPath), env);
  assert.equal(config.appservice.address, '0.0.0.0', 'reachable from the Synapse container');
  assert.equal(config.homeserver.url, `http://synapse:${COMPOSE.synapse.port}`);
  assert.ok(existsSync(hostPath(dir, bridge, config.appservice.registration)));
  assert.ok(config.database.path.startsWith('/data/'), 'the database lives on the volume');
  assert.ok((config.security.key_store_secret ?? '').length >= 16);

  // the gateway listens where the bridge looks for it, with the secret the bridge presents
  const gatewayArgs = gateway.command as string[];
  // (the connector's section, as start() reads it: its own schema, its secret from the env)
  const connector = prepareConnector(config.network, env);
  assert.deepEqual(connector.warnings, [], 'the compose config names its connector');
  const network = connector.config as InteropConfig;
  assert.equal(network.gateway_url, `ws://gateway:${gatewayArgs[gatewayArgs.indexOf('-p') + 1]}`);
  assert.equal(gatewayArgs[gatewayArgs.indexOf('--host') + 1], '0.0.0.0');
  assert.ok(gatewayArgs.includes('--dev') && network.provider_secret === COMPOSE.providerSecret && network.provider_id === 'bridge');

  // Synapse loads the bridge's registration, which points at the bridge service
  const homeserver = parse(readFileSync(hostPath(dir, synapse, (synapse.environment as Record<string, string>).SYNAPSE_CONFIG_PATH), 'utf8')) as Record<string, unknown>;
  const [listener] = homeserver.listeners as { port: number; bind_addresses: string[] }[];
  assert.equal(listener.port, COMPOSE.synapse.port);
  assert.deepEqual(listener.bind_addresses, ['0.0.0.0']);
  assert.ok((synapse.ports as string[]).some((p) => p.endsWith(`:${listener.port}`)));
  const [registrationFile] = homeserver.app_service_config_files as string[];
  const forSynapse = readFileSync(hostPath(dir, synapse, registrationFile), 'utf8');
  assert.equal(forSynapse, readFileSync(hostPath(dir, bridge, config.appservice.registration), 'utf8'), 'the same tokens on both sides');
  assert.equal((parse(forSynapse) as { url: string }).url, `http://bridge:${config.appservice.port}`);
  for (const key of ['pid_file', 'media_store_path', 'signing_key_path']) assert.ok(String(homeserver[key]).startsWith('/data/'), key);
  assert.ok(String((homeserver.database as { args: { database: string } }).args.database).startsWith('/data/'));
  assert.ok(!Object.keys(homeserver).some((k) => k.startsWith('rc_')), 'production rate limits');

  // the image the example runs is the version the tests run
  const pinned = /SYNAPSE_VERSION=(\S+)/.exec(readFileSync(join(repoRoot, 'scripts/synapse/version.env'), 'utf8'))?.[1];
  assert.equal(synapse.image, `matrixdotorg/synapse:v${pinned}`);
  // secrets are private
  for (const file of ['bridge.env', 'bridge/registration.yaml', 'synapse/homeserver.yaml']) assert.equal(statSync(join(dir, file)).mode & 0o077, 0, file);
});

test('writing the compose files again keeps the registration and the secrets', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'compose-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeComposeFiles(dir);
  const before = [readFileSync(join(dir, 'bridge/registration.yaml'), 'utf8'), readFileSync(join(dir, 'bridge.env'), 'utf8')];
  writeComposeFiles(dir);
  assert.deepEqual([readFileSync(join(dir, 'bridge/registration.yaml'), 'utf8'), readFileSync(join(dir, 'bridge.env'), 'utf8')], before);
});
