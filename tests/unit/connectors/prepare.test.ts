/**
 * Choosing the connector by name and checking its section with its own schema
 * (src/connectors/prepare.ts), as an admin meets it: every problem named by its YAML path,
 * an unknown name answered with the names this build knows, a config from before connectors
 * still running, with a warning that says what to add.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../../../src/config';
import { LEGACY_WARNING, prepareConnector } from '../../../src/connectors/prepare';
import { knownConnectors } from '../../../src/connectors/registry';
import { start } from '../../../src/runtime';
import type { InteropConfig } from '../../../src/network/interop/config';

const repoRoot = join(__dirname, '..', '..', '..', '..');

function problemsOf(network: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    prepareConnector(network, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('the section was accepted');
}

const good = { connector: 'interop', gateway_url: 'ws://127.0.0.1:8787', provider_id: 'bridge', provider_secret: 'a-real-provider-secret' };

test('an unknown connector name is refused, naming the key and every connector this build knows', () => {
  assert.deepEqual(problemsOf({ ...good, connector: 'whatsapp-web' }), [
    `network.connector: unknown connector "whatsapp-web"; this build knows: interop (${knownConnectors()[0].description})`,
  ]);
  assert.deepEqual(knownConnectors().map((c) => c.name), ['interop']);
});

test("the connector's own schema checks its section, each problem under network.", () => {
  assert.deepEqual(problemsOf({ connector: 'interop', gateway_url: 'http://nope', provider_idd: 'bridge' }).sort(), [
    'network.gateway_url: must be a ws(s) URL',
    'network.provider_id: required',
    'network.provider_idd: unknown key (did you mean provider_id?)',
  ]);
});

test('the core config accepts any connector section, but checks the name is a name', () => {
  const yaml = (network: string) => `
homeserver: { url: "http://127.0.0.1:8008", domain: example.org }
appservice: { port: 29330, url: "http://127.0.0.1:29330" }
bridge: { permissions: { example.org: user } }
network: ${network}
`;
  assert.equal(parseConfig(yaml('{ connector: someday, anything: 1 }')).network.anything, 1);
  assert.throws(() => parseConfig(yaml('{ connector: "Not A Name" }')), /network\.connector: must match/);
});

test('a section valid by its schema is handed over typed, the input left as it was', () => {
  const network = { ...good };
  const prepared = prepareConnector(network, {});
  assert.equal(prepared.definition.name, 'interop');
  assert.deepEqual(prepared.warnings, []);
  const config = prepared.config as InteropConfig;
  assert.equal(config.gateway_url, 'ws://127.0.0.1:8787');
  assert.equal('connector' in config, false, "the name is core's, not part of the connector's config");
  assert.deepEqual(network, good);
});

test('a config from before connectors (no network.connector) runs the interop connector, with a warning saying what to add', () => {
  const { connector: _, ...legacy } = good;
  const prepared = prepareConnector(legacy, {});
  assert.equal(prepared.definition.name, 'interop');
  assert.deepEqual(prepared.warnings, [LEGACY_WARNING]);
  assert.match(LEGACY_WARNING, /Add `connector: interop` to the network section/);
});

test("the connector's secret comes from a file or the environment, the environment winning; a missing file is named", () => {
  const dir = mkdtempSync(join(tmpdir(), 'connector-secret-'));
  writeFileSync(join(dir, 'secret'), 'from-file\n');
  const { provider_secret: _, ...noSecret } = good;
  const withFile = { ...noSecret, provider_secret_file: join(dir, 'secret') };
  assert.equal((prepareConnector(withFile, {}).config as InteropConfig).provider_secret, 'from-file');
  assert.equal((prepareConnector(withFile, { INTEROP_PROVIDER_SECRET: 'from-env' }).config as InteropConfig).provider_secret, 'from-env');
  assert.deepEqual(problemsOf({ ...noSecret, provider_secret_file: '/nonexistent/x' }), ['network.provider_secret_file: /nonexistent/x does not exist']);
  assert.deepEqual(problemsOf(noSecret), ['network.provider_secret: required (or provider_secret_file, or INTEROP_PROVIDER_SECRET)']);
});

test("start() names the connector's problems together with core's, before opening anything", async () => {
  const config = parseConfig(readFileSync(join(repoRoot, 'config.sample.yaml'), 'utf8'));
  config.network.connector = 'telepathy';
  delete config.security.key_store_secret;
  await assert.rejects(start(config, { env: {} }), (error: Error) => {
    assert.ok(error instanceof ConfigError);
    assert.ok(error.problems.some((p) => p.startsWith('network.connector: unknown connector "telepathy"; this build knows: interop')), error.message);
    assert.ok(error.problems.some((p) => p.startsWith('security.key_store_secret: required')), error.message);
    return true;
  });
});
