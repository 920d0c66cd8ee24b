// The reference interop network for end-to-end tests: the real gateway
// in-process, in production mode (no dev codes handed back), with its one-time
// codes captured the way an SMS would reach the phone's owner. Tests read a
// code from `codes` and type it where a person would.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../src/gateway/context';
import { gatewayLogger, silentLogger, startGateway, type RunningGateway } from '../../src/gateway/server';
import { DEV_PROVIDERS } from '../../src/gateway/config';

/** Provider secrets of the dev providers the test gateway runs with. */
export const PROVIDER_SECRETS: Record<string, string> = Object.fromEntries(DEV_PROVIDERS.map((p) => [p.id, p.secret]));

/** One-time codes "texted" to each phone, in order; each code is handed out once. */
export class CodeInbox {
  private readonly unread = new Map<string, string[]>();
  private readonly waiters = new Set<() => void>();

  deliver(phone: string, code: string): void {
    const list = this.unread.get(phone) ?? [];
    list.push(code);
    this.unread.set(phone, list);
    for (const wake of [...this.waiters]) wake();
  }

  /** The oldest unread code sent to `phone`, waiting for one if none came yet. */
  next(phone: string, timeoutMs = 15_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const take = () => {
        const code = this.unread.get(phone)?.shift();
        if (code === undefined) return false;
        clearTimeout(timer);
        this.waiters.delete(take);
        resolve(code);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(take);
        reject(new Error(`no one-time code was sent to ${phone} within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!take()) this.waiters.add(take);
    });
  }

  /** Drops codes not read yet (so a later next() sees only new ones). */
  clear(phone: string): void {
    this.unread.delete(phone);
  }
}

export interface TestGatewayHandle {
  /** ws:// URL; stays the same across stop()/restart() (same port). */
  readonly url: string;
  readonly port: number;
  readonly dbPath: string;
  /** temp dir holding the gateway database and the sims' key databases */
  readonly dir: string;
  readonly codes: CodeInbox;
  /** every line the in-process gateway logged (messages only, as an operator reads them);
   *  absent for gateways in another process */
  readonly logLines?: string[];
  /** every request a provider made that the in-process gateway carried out, in order;
   *  absent for gateways in another process */
  readonly requests?: { provider: string; type: string; params: unknown }[];
  readonly running: boolean;
  /** Closes the gateway (every socket dropped); the database stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and database file. */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

export async function startTestGateway(): Promise<TestGatewayHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'interop-e2e-gw-'));
  const dbPath = join(dir, 'gateway.db');
  const codes = new CodeInbox();
  const logLines: string[] = [];
  const requests: { provider: string; type: string; params: unknown }[] = [];
  const shown = process.env.GATEWAY_LOG ? gatewayLogger() : silentLogger;
  const log: Logger = {
    info: (message, fields) => (logLines.push(message), shown.info(message, fields)),
    warn: (message, fields) => (logLines.push(message), shown.warn(message, fields)),
    error: (message, fields) => (logLines.push(message), shown.error(message, fields)),
  };
  let gateway: RunningGateway | undefined;
  let port = 0;
  const boot = async () => {
    gateway = await startGateway({
      host: '127.0.0.1',
      port,
      databasePath: dbPath,
      devMode: false,
      providers: DEV_PROVIDERS,
      // GATEWAY_LOG=1 shows the gateway's log (it never contains codes or keys)
      log,
      deliverCode: (phone, code) => codes.deliver(phone, code),
      onRequest: (seen) => void requests.push(seen),
    });
    port = gateway.port;
  };
  await boot();
  const stop = async () => {
    const g = gateway;
    gateway = undefined;
    await g?.close();
  };
  return {
    get url() { return `ws://127.0.0.1:${port}/`; },
    get port() { return port; },
    dbPath,
    dir,
    codes,
    logLines,
    requests,
    get running() { return gateway !== undefined; },
    stop,
    async restart() {
      if (gateway) throw new Error('restart: the gateway is running; stop() it first');
      await boot();
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
