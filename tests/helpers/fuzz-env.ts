/**
 * The hostile-input fuzz's world: like bench/bridged-env.ts (real Synapse, the real bridge as a
 * child process `dist/src/cli.js -c config.yaml`), except that the interop gateway is ALSO a
 * child process (`dist/src/gateway/cli.js -c gateway.yaml`, the program an operator runs), and
 * both children's stdout/stderr go to log files the test reads afterwards. "0 exits" of the
 * gateway is only meaningful when a crash of the gateway cannot take the test down with it, and
 * "no unhandled rejection" is only checkable with the bridge's own output in hand.
 *
 * The returned object satisfies bench/bridged-env.ts's BridgedEnv, so its login / openChat /
 * newSim / memoryOf helpers are reused as they are. The config preparation below mirrors
 * startBridgedEnv's (it hard-wires an in-process gateway and inherited stdio, so it cannot be
 * called with a gateway child); when that moves into tests/helpers both should share it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { BridgedEnv } from '../../bench/bridged-env';
import { parseConfig } from '../../src/config/load';
import type { BridgeConfig } from '../../src/config/types';
import { generateRegistration, writeRegistration } from '../../src/registration/generate';
import { waitForPort } from './bridge-process';
import { freePort } from './free-port';
import { CodeInbox, PROVIDER_SECRETS, type TestGatewayHandle } from './interop-gateway';
import { repoRoot, startSynapse } from './synapse';
import { deployedNodeFlags } from './deployed-node-flags';

/** A child process the fuzz watches: it must never exit while the test runs. */
export interface WatchedProcess {
  readonly name: string;
  readonly pid: number;
  /** stdout + stderr, as written so far */
  readonly logPath: string;
  /** set when the process exited (code or signal), with the time */
  exit: { code: number | null; signal: string | null; at: number } | undefined;
  log(): string;
}

export interface FuzzEnv extends BridgedEnv {
  bridge: WatchedProcess;
  gatewayProcess: WatchedProcess;
  gatewayMaxFrameBytes: number;
}

function watch(name: string, child: ChildProcess, logPath: string): WatchedProcess {
  const out = createWriteStream(logPath);
  child.stdout?.pipe(out, { end: false });
  child.stderr?.pipe(out, { end: false });
  const w: WatchedProcess = {
    name,
    pid: child.pid as number,
    logPath,
    exit: undefined,
    log: () => readFileSync(logPath, 'utf8'),
  };
  child.once('exit', (code, signal) => {
    w.exit = { code, signal, at: Date.now() };
  });
  return w;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The gateway program in dev mode (codes printed on stdout, read back into a CodeInbox). */
async function startGatewayChild(dir: string, maxFrameBytes: number, cleanups: Array<() => Promise<void> | void>) {
  const configPath = join(dir, 'gateway.yaml');
  const budget = { lookupBurst: 100_000, lookupsPerSecond: 100_000 };
  writeFileSync(configPath, stringify({
    host: '127.0.0.1', port: 0, databasePath: join(dir, 'gateway.db'), devMode: true, maxFrameBytes,
    providers: [
      { id: 'native', secret: PROVIDER_SECRETS.native, e2ee: true, ...budget },
      { id: 'bridge', secret: PROVIDER_SECRETS.bridge, e2ee: true, ...budget },
    ],
  }));
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'src', 'gateway', 'cli.js'), '-c', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'], cwd: dir,
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  cleanups.push(async () => { process.off('exit', killOnExit); await stopChild(child); });
  const watched = watch('gateway', child, join(dir, 'gateway.log'));
  const codes = new CodeInbox();
  let buffered = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the gateway did not start within 20 s')), 20_000);
    child.once('exit', (code) => reject(new Error(`the gateway exited with ${code} while starting: ${watched.log()}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const code = /^\[DEV\] verification code for (\+\d+): (\d+)$/.exec(line);
        if (code) codes.deliver(code[1], code[2]);
        const listening = /^interop-gateway listening on (\S+)$/.exec(line);
        if (listening) { clearTimeout(timer); resolve(listening[1]); }
      }
    });
  });
  const port = Number(new URL(url).port);
  const handle: TestGatewayHandle = {
    url, port, dbPath: join(dir, 'gateway.db'), dir, codes,
    get running() { return watched.exit === undefined; },
    stop: () => stopChild(child),
    restart: () => Promise.reject(new Error('the fuzz never restarts the gateway')),
    close: () => stopChild(child),
  };
  return { handle, watched };
}

export async function startFuzzEnv(opts: { gatewayMaxFrameBytes?: number } = {}): Promise<FuzzEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-fuzz-'));
  const cleanups: Array<() => Promise<void> | void> = [() => {
    if (process.env.FUZZ_KEEP_DIR) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }];
  const sims: BridgedEnv['sims'] = [];
  const stop = async () => {
    for (const sim of sims.splice(0)) await sim.close().catch(() => undefined);
    while (cleanups.length > 0) await cleanups.pop()!();
  };
  try {
    const gatewayMaxFrameBytes = opts.gatewayMaxFrameBytes ?? 16 * 1024 * 1024;
    const { handle: gateway, watched: gatewayProcess } = await startGatewayChild(dir, gatewayMaxFrameBytes, cleanups);

    const config = parseConfig(readFileSync(join(repoRoot, 'config.sample.yaml'), 'utf8'), 'config.sample.yaml');
    const port = await freePort();
    config.homeserver.domain = 'localhost';
    config.appservice.address = '127.0.0.1';
    config.appservice.port = port;
    config.appservice.url = `http://127.0.0.1:${port}`;
    config.appservice.registration = join(dir, 'registration.yaml');
    config.database.path = join(dir, 'bridge.db');
    config.bridge.permissions = { localhost: 'user' };
    config.network.gateway_url = gateway.url;
    config.network.provider_id = 'bridge';
    config.network.provider_secret = PROVIDER_SECRETS.bridge;
    delete config.network.provider_secret_file;
    config.security.key_store_secret = randomBytes(32).toString('base64');
    delete config.security.key_store_secret_file;
    // warn: the fuzz wants the bridge's complaints about bad input in its log, not every message
    config.logging.level = (process.env.FUZZ_BRIDGE_LOG as BridgeConfig['logging']['level'] | undefined) ?? 'warn';
    config.metrics.enabled = false;

    writeRegistration(config.appservice.registration, generateRegistration(config, config.appservice.url));
    const hs = await startSynapse({ registrationFiles: [config.appservice.registration], dir: join(dir, 'synapse'), serverName: 'localhost' });
    cleanups.push(() => hs.stop());
    config.homeserver.url = hs.url;
    const configPath = join(dir, 'config.yaml');
    writeFileSync(configPath, stringify(config), { mode: 0o600 });

    // as deployed (the image's node flags): the fuzz bounds the bridge's memory
    const child = spawn(process.execPath, [...deployedNodeFlags(), join(repoRoot, 'dist', 'src', 'cli.js'), '-c', configPath], {
      stdio: ['ignore', 'pipe', 'pipe'], cwd: dir,
    });
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    cleanups.push(async () => { process.off('exit', killOnExit); await stopChild(child); });
    const bridge = watch('bridge', child, join(dir, 'bridge.log'));
    await waitForPort(port, child, 30_000, join(dir, 'bridge.log'));
    return {
      dir, gateway, hs, config, sims, synapsePid: undefined, synapseDb: 'sqlite',
      botUserId: `@${config.appservice.bot_username}:localhost`,
      bridgePid: bridge.pid,
      bridge, gatewayProcess, gatewayMaxFrameBytes,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
