/**
 * The real bridge as its own process, started the way an admin starts it
 * (`node dist/src/cli.js -c config.yaml`): a config made from config.sample.yaml with local
 * overrides, the registration made by the bridge's own generator, and a handle that can
 * stop it cleanly (SIGTERM), crash it (`kill -9`) and start it again on the same config.
 * Shared by the benchmark (bench/bridged-env.ts) and the fault-injection suite (tests/faults).
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load';
import type { BridgeConfig } from '../../src/config/types';
import { generateRegistration, writeRegistration } from '../../src/registration/generate';
import { freePort } from './free-port';
import { useTestBridgeDatabase } from './test-bridge-database';
import { PROVIDER_SECRETS } from './interop-gateway';
import { repoRoot } from './synapse';

/**
 * A bridge config for a local test world: appservice on a free port of 127.0.0.1, database
 * and registration in `dir`, logged into the gateway at `gatewayUrl` as provider `bridge`,
 * a real key-store secret. The homeserver URL is filled in later (Synapse needs the
 * registration before its port is known). The registration file is written too.
 */
export async function localBridgeConfig(dir: string, gatewayUrl: string, serverName = 'localhost'): Promise<BridgeConfig> {
  const config = parseConfig(readFileSync(join(repoRoot, 'config.sample.yaml'), 'utf8'), 'config.sample.yaml');
  const port = await freePort();
  config.homeserver.domain = serverName;
  config.appservice.address = '127.0.0.1';
  config.appservice.port = port;
  config.appservice.url = `http://127.0.0.1:${port}`;
  config.appservice.registration = join(dir, 'registration.yaml');
  config.database.path = join(dir, 'bridge.db');
  // TEST_BRIDGE_DB=postgres: a fresh PostgreSQL database; it outlives restarts of the bridge
  // process and is dropped when the test process exits (tests/helpers/postgres-database.ts)
  await useTestBridgeDatabase(config);
  config.bridge.permissions = { [serverName]: 'user' };
  config.network.gateway_url = gatewayUrl;
  config.network.provider_id = 'bridge';
  config.network.provider_secret = PROVIDER_SECRETS.bridge;
  delete config.network.provider_secret_file;
  config.security.key_store_secret = randomBytes(32).toString('base64');
  delete config.security.key_store_secret_file;
  config.metrics.enabled = false;
  writeRegistration(config.appservice.registration, generateRegistration(config, config.appservice.url));
  return config;
}

export interface BridgeProcessOptions {
  /** where config.yaml is written; also the child's cwd (profiles, heap snapshots land here) */
  dir: string;
  config: BridgeConfig;
  /** extra node arguments (--cpu-prof, …) */
  nodeArgs?: string[];
  /** append the bridge's stdout+stderr to this file; without it they are inherited */
  logPath?: string;
  /** how long to wait for the appservice port to listen; 30 s by default */
  startTimeoutMs?: number;
}

export interface BridgeProcess {
  /** pid of the bridge running now; undefined while it is down */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** how many times the bridge process has been started */
  readonly starts: number;
  /** how the last bridge process that ended exited (undefined while none has) */
  readonly lastExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  configPath: string;
  logPath: string | undefined;
  /** SIGTERM (the CLI stops cleanly), SIGKILL after 10 s; waits for the exit */
  stop(): Promise<void>;
  /** `kill -9`: no shutdown code runs; waits for the exit */
  kill(): Promise<void>;
  /** Starts it again on the same config (database, registration, port); waits until it listens. */
  start(): Promise<void>;
  /** Fires when the bridge process exits without stop()/kill() asking it to (a crash). */
  onUnexpectedExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
}

/** Resolves once the bridge child listens on `port`; throws if it exits first or takes too long. */
export async function waitForPort(port: number, child: ChildProcess, timeoutMs: number, logPath?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the bridge exited with ${child.exitCode ?? child.signalCode} while starting${logPath ? ` (log ${logPath})` : ''}`);
    }
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the bridge did not listen on port ${port} within ${timeoutMs} ms${logPath ? ` (log ${logPath})` : ''}`);
}

/** Bridge children still running, killed if the test process exits without stopping them. */
const alive = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

/** Writes `dir/config.yaml` and starts the bridge; resolves once its appservice port listens. */
export async function startBridgeProcess(opts: BridgeProcessOptions): Promise<BridgeProcess> {
  const configPath = join(opts.dir, 'config.yaml');
  writeFileSync(configPath, stringify(opts.config), { mode: 0o600 });
  const cli = join(repoRoot, 'dist', 'src', 'cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing; run npm run build`);
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let starts = 0;
  let lastExit: BridgeProcess['lastExit'];
  const crashListeners: Array<(code: number | null, signal: NodeJS.Signals | null) => void> = [];

  const start = async (): Promise<void> => {
    if (child) throw new Error('start: the bridge is running');
    let stdio: StdioOptions = ['ignore', 'inherit', 'inherit'];
    let fd: number | undefined;
    if (opts.logPath) {
      fd = openSync(opts.logPath, 'a');
      stdio = ['ignore', fd, fd];
    }
    let proc: ChildProcess;
    try {
      proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), cli, '-c', configPath], { stdio, cwd: opts.dir });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    starts++;
    alive.add(proc);
    exited = new Promise<void>((resolve) => proc.once('exit', (code, signal) => {
      alive.delete(proc);
      lastExit = { code, signal };
      if (child === proc) {
        child = undefined;
        for (const listener of crashListeners) listener(code, signal);
      }
      resolve();
    }));
    child = proc;
    try {
      await waitForPort(opts.config.appservice.port, proc, opts.startTimeoutMs ?? 30_000, opts.logPath);
    } catch (error) {
      child = undefined;
      proc.kill('SIGKILL');
      await exited;
      throw error;
    }
  };

  const down = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc) return;
    proc.kill(signal);
    const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    get pid() { return child?.pid; },
    get running() { return child !== undefined; },
    get starts() { return starts; },
    get lastExit() { return lastExit; },
    configPath,
    logPath: opts.logPath,
    stop: () => down('SIGTERM'),
    kill: () => down('SIGKILL'),
    start,
    onUnexpectedExit: (listener) => { crashListeners.push(listener); },
  };
}
