/**
 * The demo's child processes: each in its own process group with its output in a log file,
 * so a Ctrl-C at the terminal reaches only the demo (which then stops them in order) and the
 * terminal stays free for the simulated person's prompt.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';

export interface Service {
  name: string;
  pid: number;
  logPath: string;
  /** resolves when the process has exited */
  exited: Promise<void>;
  /** SIGTERM to the group, SIGKILL after 10 s; resolves when it has exited */
  stop(): Promise<void>;
}

export function startService(name: string, command: string, args: string[], opts: { logPath: string; cwd: string; env?: NodeJS.ProcessEnv }): Service {
  const log = openSync(opts.logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, { cwd: opts.cwd, detached: true, stdio: ['ignore', log, log], env: opts.env ?? process.env });
  } finally {
    closeSync(log);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    pid: child.pid as number,
    logPath: opts.logPath,
    exited,
    async stop() {
      if (!alive()) return;
      process.kill(-(child.pid as number), 'SIGTERM');
      const timer = setTimeout(() => alive() && process.kill(-(child.pid as number), 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until `check` succeeds, failing early with the log's tail if the service exits. */
async function waitFor(service: Service, what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  let gone = false;
  void service.exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`${service.name} exited before ${what}; its log (${service.logPath}) ends with:\n${logTail(service.logPath)}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${service.name}: no ${what} after ${timeoutMs / 1000} s; its log (${service.logPath}) ends with:\n${logTail(service.logPath)}`);
}

export function waitForHttp(service: Service, url: string, timeoutMs = 90_000): Promise<void> {
  return waitFor(service, `answer at ${url}`, async () => (await fetch(url)).ok, timeoutMs);
}

export function waitForPort(service: Service, port: number, timeoutMs = 60_000): Promise<void> {
  return waitFor(
    service,
    `listener on port ${port}`,
    () =>
      new Promise((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
      }),
    timeoutMs,
  );
}

/** The log's length now: pass it as `from` to wait only for lines written after this. */
export function logLength(service: Service): number {
  return readFileSync(service.logPath).length;
}

/** Waits for a line matching `pattern` in the service's log (from byte `from` on); returns
 *  the pattern's first capture. */
export async function waitForLogLine(service: Service, pattern: RegExp, opts: { from?: number; timeoutMs?: number } = {}): Promise<string> {
  let found: string | undefined;
  await waitFor(
    service,
    `log line ${pattern}`,
    async () => {
      found = pattern.exec(readFileSync(service.logPath).subarray(opts.from ?? 0).toString('utf8'))?.[1];
      return found !== undefined;
    },
    opts.timeoutMs ?? 30_000,
  );
  return found as string;
}

export function logTail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
