/**
 * The reference interop gateway in a child process (tests/helpers/gateway-child.ts), with
 * the same handle as the in-process one (TestGatewayHandle: url, codes, stop/restart) plus
 * what only a process allows: kill() is a real `kill -9` (no close frames, no flush),
 * pause()/resume() are SIGSTOP/SIGCONT. Restarts keep the port and the database file, so
 * the bridge and the simulated users find it again where they left it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CodeInbox, PROVIDER_SECRETS, type TestGatewayHandle } from './interop-gateway';

export { PROVIDER_SECRETS };

export interface GatewayProcessHandle extends TestGatewayHandle {
  /** pid of the gateway process now running; undefined while it is down */
  readonly pid: number | undefined;
  /** SIGKILL, and wait until it has exited; the database stays */
  kill(): Promise<void>;
  /** SIGSTOP: sockets stay open, nothing is answered */
  pause(): void;
  /** SIGCONT after pause() */
  resume(): void;
}

const CHILD = join(__dirname, 'gateway-child.js');

/** Gateway children still running, killed if the test process exits without stopping them. */
const alive = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

/** `log`: 'debug' writes the gateway's debug log (a line per envelope written) to gateway.log
 *  in `dir`; otherwise GATEWAY_LOG decides, as in gateway-child.ts */
export async function startGatewayProcess(opts: { dir?: string; startTimeoutMs?: number; log?: 'debug' } = {}): Promise<GatewayProcessHandle> {
  const ownsDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'interop-gw-proc-'));
  mkdirSync(dir, { recursive: true });
  const dbPath = join(dir, 'gateway.db');
  const logPath = join(dir, 'gateway.log');
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  const codes = new CodeInbox();
  let port = 0;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const boot = async (): Promise<void> => {
    const logFd = openSync(logPath, 'a');
    let proc: ChildProcess;
    try {
      const env = opts.log ? { ...process.env, GATEWAY_LOG: opts.log } : process.env;
      proc = spawn(process.execPath, [CHILD, dbPath, String(port)], { stdio: ['pipe', 'pipe', logFd], env });
    } finally {
      closeSync(logFd);
    }
    alive.add(proc);
    const gone = new Promise<void>((resolve) => proc.once('exit', () => { alive.delete(proc); resolve(); }));
    const listening = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the gateway process did not listen within ${timeoutMs} ms (log ${logPath})`)), timeoutMs);
      void gone.then(() => reject(new Error(`the gateway process exited with ${proc.exitCode ?? proc.signalCode} while starting (log ${logPath})`)));
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        let message: { listening?: string; code?: { phone: string; code: string } };
        try {
          message = JSON.parse(line) as typeof message;
        } catch {
          return; // not ours
        }
        if (message.code) codes.deliver(message.code.phone, message.code.code);
        if (message.listening) {
          clearTimeout(timer);
          resolve(message.listening);
        }
      });
    });
    try {
      const url = await listening;
      port = Number(new URL(url).port);
    } catch (error) {
      proc.kill('SIGKILL');
      await gone;
      throw error;
    }
    child = proc;
    exited = gone;
  };

  const down = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc) return;
    proc.kill('SIGCONT');
    proc.kill(signal);
    const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await boot();
  return {
    get url() { return `ws://127.0.0.1:${port}/`; },
    get port() { return port; },
    dbPath,
    dir,
    codes,
    get running() { return child !== undefined; },
    get pid() { return child?.pid; },
    stop: () => down('SIGTERM'),
    kill: () => down('SIGKILL'),
    pause: () => { child?.kill('SIGSTOP'); },
    resume: () => { child?.kill('SIGCONT'); },
    async restart() {
      if (child) throw new Error('restart: the gateway is running; stop() or kill() it first');
      await boot();
    },
    async close() {
      await down('SIGTERM');
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
