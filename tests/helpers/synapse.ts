// A real Synapse for end-to-end tests: the pinned version from .synapse/venv
// (scripts/synapse/install.sh), a fresh config and SQLite database in a temp
// dir, one plain-HTTP client listener on 127.0.0.1, appservice registrations
// loaded from files. No federation listener, no outbound traffic.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './free-port';

export interface SynapseOptions {
  /** Appservice registration files (YAML) handed to Synapse as app_service_config_files. */
  registrationFiles: string[];
  /** Directory for config, database, media and log; a fresh temp dir when omitted. */
  dir?: string;
  /** Matrix server name; `localhost` by default. */
  serverName?: string;
  /** Extra top-level homeserver.yaml keys, merged over the defaults. */
  extraConfig?: Record<string, unknown>;
  /** How long to wait for the client API to answer; 60 s by default. */
  startTimeoutMs?: number;
}

export interface SynapseHandle {
  /** Base URL of the client-server API, e.g. http://127.0.0.1:41234 */
  url: string;
  serverName: string;
  /** registration_shared_secret, for the shared-secret admin registration API. */
  sharedSecret: string;
  /** Synapse's stdout+stderr (its log, since no log_config is given). */
  logPath: string;
  dir: string;
  /** Milliseconds from spawn until /_matrix/client/versions answered. */
  startupMs: number;
  /** Stops Synapse (SIGTERM to its process group, SIGKILL after 10 s) and waits for it to exit. */
  stop(): Promise<void>;
  /** The port of the client listener; the same across restart(). */
  port: number;
  /** pid of the Synapse process now running; undefined while it is down. */
  readonly pid: number | undefined;
  /** true between a start and a stop/kill (a paused Synapse counts as running). */
  readonly running: boolean;
  /** SIGKILL to its process group (a crash): nothing is flushed; waits for the exit. The data dir stays. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit, keeping the data dir (unlike stop(), which may remove it). */
  shutdown(): Promise<void>;
  /** SIGSTOP to its process group: it holds its sockets but answers nothing (a hung homeserver). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Starts Synapse again on the same port, config and data dir (after kill() or shutdown()); waits until it answers. */
  restart(): Promise<void>;
}

export const repoRoot = findRepoRoot(__dirname);
const venvPython = join(repoRoot, '.synapse', 'venv', 'bin', 'python');

/** The version pinned in scripts/synapse/version.env (the single source of truth). */
export function pinnedSynapseVersion(): string {
  const text = readFileSync(join(repoRoot, 'scripts', 'synapse', 'version.env'), 'utf8');
  const match = /^SYNAPSE_VERSION=(\S+)$/m.exec(text);
  if (!match) throw new Error('scripts/synapse/version.env has no SYNAPSE_VERSION=');
  return match[1];
}

/** Builds homeserver.yaml's content. Exported so a test can inspect what Synapse gets. */
export function homeserverConfig(p: {
  serverName: string; port: number; dir: string; sharedSecret: string; registrationFiles: string[];
}): Record<string, unknown> {
  // Generous limits: tests log in, join and send in bursts far above what the
  // production defaults (a few per second) allow, and a 429 would be a flaky test.
  const relaxed = { per_second: 1000, burst_count: 1000 };
  return {
    server_name: p.serverName,
    public_baseurl: `http://127.0.0.1:${p.port}/`,
    pid_file: join(p.dir, 'homeserver.pid'),
    report_stats: false,
    listeners: [{
      port: p.port, bind_addresses: ['127.0.0.1'], type: 'http', tls: false, x_forwarded: false,
      resources: [{ names: ['client'], compress: false }],
    }],
    database: { name: 'sqlite3', args: { database: join(p.dir, 'homeserver.db') } },
    media_store_path: join(p.dir, 'media'),
    // Synapse generates this file on first start (its default generate-missing-and-run mode).
    signing_key_path: join(p.dir, 'signing.key'),
    // Empty: never fetch keys from matrix.org (tests have no internet).
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    registration_shared_secret: p.sharedSecret,
    macaroon_secret_key: randomBytes(32).toString('hex'),
    form_secret: randomBytes(32).toString('hex'),
    enable_registration: false,
    app_service_config_files: p.registrationFiles,
    url_preview_enabled: false,
    presence: { enabled: false },
    rc_message: relaxed,
    rc_registration: relaxed,
    rc_login: { address: relaxed, account: relaxed, failed_attempts: relaxed },
    rc_joins: { local: relaxed, remote: relaxed },
    rc_joins_per_room: relaxed,
    rc_invites: { per_room: relaxed, per_user: relaxed, per_issuer: relaxed },
    rc_admin_redaction: relaxed,
    rc_media_create: relaxed,
    rc_room_creation: relaxed,
    rc_profile: relaxed,
    rc_key_requests: relaxed,
    // end-to-bridge encryption (issue 12): to-device messages, device list changes and key
    // counts of the appservice's users arrive in its transactions (MSC2409, MSC3202); an
    // appservice without those registration keys gets nothing more than before
    experimental_features: {
      msc2409_to_device_messages_enabled: true,
      msc3202_transaction_extensions: true,
    },
  };
}

/** Resolves when the process has exited; registered at spawn so no exit is missed. */
const exitOf = new WeakMap<ChildProcess, Promise<void>>();

/** Synapse processes still running, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
let guarded = false;
/** Installed with the first Synapse, so that importing this file (for homeserverConfig,
 *  say) changes no signal handling of the importing program. */
function guardExit(): void {
  if (guarded) return;
  guarded = true;
  process.on('exit', () => {
    for (const child of running) killGroup(child, 'SIGKILL');
  });
  // The test runner cancels a file by signalling its process; 'exit' does not run
  // then, so kill Synapse here too, then exit as the signal would have.
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      for (const child of running) killGroup(child, 'SIGKILL');
      process.exit(code);
    });
  }
}

export async function startSynapse(opts: SynapseOptions): Promise<SynapseHandle> {
  assertInstalled();
  guardExit();
  const ownsDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'synapse-e2e-'));
  mkdirSync(dir, { recursive: true });
  const serverName = opts.serverName ?? 'localhost';
  const sharedSecret = randomBytes(24).toString('hex');
  const logPath = join(dir, 'homeserver.log');
  const timeoutMs = opts.startTimeoutMs ?? 60_000;

  // The port is chosen before Synapse binds it, so another process may grab it
  // in between; Synapse then exits with "Address already in use" and we retry.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = {
      ...homeserverConfig({ serverName, port, dir, sharedSecret, registrationFiles: opts.registrationFiles.map((f) => resolve(f)) }),
      ...opts.extraConfig,
    };
    const configPath = join(dir, 'homeserver.yaml');
    writeFileSync(configPath, stringify(config), { mode: 0o600 });
    const url = `http://127.0.0.1:${port}`;
    const started = Date.now();
    const child = spawnSynapse(configPath, dir, logPath);
    running.add(child);
    const outcome = await waitUntilAnswering(url, child, timeoutMs);
    if (outcome === 'up') {
      const startupMs = Date.now() - started;
      let current: ChildProcess | undefined = child;
      const down = async (how: 'kill' | 'term') => {
        const c = current;
        current = undefined;
        if (!c) return;
        if (how === 'kill') {
          killGroup(c, 'SIGCONT'); // a paused group must be able to die (SIGKILL works anyway; be explicit)
          killGroup(c, 'SIGKILL');
          await exitOf.get(c);
        } else {
          killGroup(c, 'SIGCONT');
          await stopProcess(c);
        }
        running.delete(c);
      };
      return {
        url, serverName, sharedSecret, logPath, dir, startupMs, port,
        get pid() { return current?.pid; },
        get running() { return current !== undefined; },
        stop: async () => {
          await down('term');
          if (ownsDir && !process.env.KEEP_SYNAPSE_DIR) rmSync(dir, { recursive: true, force: true });
        },
        kill: () => down('kill'),
        shutdown: () => down('term'),
        pause: () => { if (current) killGroup(current, 'SIGSTOP'); },
        resume: () => { if (current) killGroup(current, 'SIGCONT'); },
        restart: async () => {
          if (current) throw new Error('restart: Synapse is running; kill() or shutdown() it first');
          // the same homeserver.yaml: same port, database, signing key and macaroon secret (tokens stay valid)
          for (let tries = 1; ; tries++) {
            const next = spawnSynapse(configPath, dir, logPath);
            running.add(next);
            const result = await waitUntilAnswering(url, next, timeoutMs);
            if (result === 'up') {
              current = next;
              return;
            }
            await stopProcess(next);
            running.delete(next);
            // a port just released can still be held for a moment: try again a few times
            if (result === 'exited' && /Address already in use/.test(logTail(logPath)) && tries < 10) {
              await new Promise((r) => setTimeout(r, 1000));
              continue;
            }
            throw new Error(`Synapse did not come back on ${url} (${result}); log ${logPath} ends with:\n${logTail(logPath)}`);
          }
        },
      };
    }
    await stopProcess(child);
    running.delete(child);
    const tail = logTail(logPath);
    if (outcome === 'exited' && /Address already in use/.test(tail) && attempt < 3) continue;
    throw new Error(
      `Synapse did not answer on ${url} (${outcome === 'exited' ? `exited with code ${child.exitCode}` : `timeout after ${timeoutMs} ms`}); ` +
      `log ${logPath} ends with:\n${tail}`,
    );
  }
}

function spawnSynapse(configPath: string, dir: string, logPath: string): ChildProcess {
  const logFd = openSync(logPath, 'a');
  try {
    // detached: Synapse gets its own process group, so stop() can signal the
    // whole group; the log goes to a file so the child holds none of our pipes.
    const child = spawn(venvPython, ['-m', 'synapse.app.homeserver', '-c', configPath], {
      cwd: dir, detached: true, stdio: ['ignore', logFd, logFd],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8' },
    });
    exitOf.set(child, new Promise<void>((r) => child.once('exit', () => r())));
    return child;
  } finally {
    closeSync(logFd);
  }
}

async function waitUntilAnswering(url: string, child: ChildProcess, timeoutMs: number): Promise<'up' | 'exited' | 'timeout'> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return 'exited';
    try {
      const res = await fetch(`${url}/_matrix/client/versions`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return 'up';
    } catch {
      // Not listening yet: keep polling.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return 'timeout';
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  const exited = exitOf.get(child);
  if (exited === undefined || child.exitCode !== null || child.signalCode !== null) return;
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function logTail(logPath: string, lines = 40): string {
  if (!existsSync(logPath)) return '(no log)';
  return readFileSync(logPath, 'utf8').split('\n').slice(-lines).join('\n');
}

function assertInstalled(): void {
  const version = pinnedSynapseVersion();
  const libDir = join(repoRoot, '.synapse', 'venv', 'lib');
  const found = existsSync(venvPython) && existsSync(libDir) && readdirSync(libDir).some((py) =>
    existsSync(join(libDir, py, 'site-packages', `matrix_synapse-${version}.dist-info`)));
  if (!found) {
    throw new Error(`Synapse ${version} is not installed in .synapse/venv; run: bash scripts/synapse/install.sh`);
  }
}

function findRepoRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}
export { registerUser, type RegisteredUser } from './synapse-register';
