// The start-up checks with the bridge as its own process (`node dist/src/cli.js -c …`) and a
// real Synapse: a homeserver that is down is waited for (WARN per attempt, nothing listening
// meanwhile) and the bridge starts once it is back; SIGTERM during that wait exits 0 at once;
// a registration the homeserver never loaded (its as_token unknown) exits 1 saying so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { BridgeConfig } from '../../src/config/types';
import { generateRegistration, writeRegistration } from '../../src/registration/generate';
import { localBridgeConfig, startBridgeProcess } from '../helpers/bridge-process';
import { freePort } from '../helpers/free-port';
import { repoRoot, startSynapse } from '../helpers/synapse';

const cli = join(repoRoot, 'dist', 'src', 'cli.js');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** The CLI on `config`, its output collected; `exited` resolves with its exit code. */
function runBridge(dir: string, name: string, config: BridgeConfig) {
  const configPath = join(dir, `${name}-config.yaml`);
  writeFileSync(configPath, stringify(config), { mode: 0o600 });
  const child = spawn(process.execPath, [cli, '-c', configPath], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test('start-up: homeserver down (waited for, SIGTERM exits 0), then up (starts); unknown as_token exits 1', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'startup-checks-'));
  const config = await localBridgeConfig(dir, `ws://127.0.0.1:${await freePort()}`);
  const hs = await startSynapse({ registrationFiles: [config.appservice.registration], dir: join(dir, 'synapse'), serverName: 'localhost' });
  // a bridge left running by a failed assertion would keep the test runner waiting for ever
  let stopBridge = async () => undefined as unknown;
  try {
    config.homeserver.url = hs.url;
    await hs.shutdown();

    // SIGTERM while the bridge waits for the homeserver: exit 0, promptly
    const waiting = runBridge(dir, 'waiting', config);
    await until('a WARN about the homeserver', () => waiting.output().includes('homeserver not reachable at'));
    const asked = Date.now();
    waiting.child.kill('SIGTERM');
    assert.equal(await waiting.exited, 0, waiting.output());
    assert.ok(Date.now() - asked < 5000, 'stopped promptly');

    // down, then up: WARN per attempt, nothing listening meanwhile, then it starts
    const logPath = join(dir, 'bridge.log');
    const starting = startBridgeProcess({ dir, config, logPath, startTimeoutMs: 120_000 });
    const log = () => { try { return readFileSync(logPath, 'utf8'); } catch { return ''; } };
    const warns = () => log().split('\n').filter((l) => l.includes(`homeserver not reachable at ${hs.url}/_matrix/client/v3/account/whoami`));
    await until('two WARN lines', () => warns().length >= 2);
    assert.match(warns()[0], /Check that it is running and that homeserver\.url is right/);
    assert.equal(await listening(config.appservice.port), false, 'the appservice listener is not open before the homeserver answered');
    assert.ok(!log().includes('listening on'));
    await hs.restart();
    const bridge = await starting;
    stopBridge = () => bridge.stop();
    assert.match(log(), /the homeserver at .* answers now/);
    // the line follows the port opening (the bot's profile is set in between)
    await until('the "listening on" line', () => /listening on 127\.0\.0\.1/.test(log()));
    const registration = readFileSync(config.appservice.registration, 'utf8');
    const asToken = /as_token: (\S+)/.exec(registration)?.[1] as string;
    assert.ok(!log().includes(asToken), 'the as_token is not logged');
    await bridge.stop();
    assert.deepEqual(bridge.lastExit, { code: 0, signal: null });

    // a registration the homeserver never loaded: its as_token is unknown there
    const other = { ...config, appservice: { ...config.appservice, registration: join(dir, 'not-loaded.yaml') } };
    writeRegistration(other.appservice.registration, generateRegistration(other, other.appservice.url));
    const refused = runBridge(dir, 'not-loaded', other);
    assert.equal(await refused.exited, 1, refused.output());
    assert.match(refused.output(), /M_UNKNOWN_TOKEN/);
    assert.match(refused.output(), /not listed in homeserver\.yaml's app_service_config_files, or Synapse was not restarted/);
  } finally {
    await stopBridge().catch(() => undefined);
    await hs.stop();
    if (process.env.KEEP_E2E_DIR) console.log(`# kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
});
