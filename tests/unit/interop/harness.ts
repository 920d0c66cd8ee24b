/**
 * Test harness for the interop tests: a real gateway (in-process, real socket on a port the
 * OS picks, SQLite in a temp dir) and simulated users that talk to it over WebSockets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { silentLogger, startGateway, type GatewayOptions, type RunningGateway } from '../../../src/gateway/server';
import { SimUser, type SimUserOptions } from '../../../src/sim/sim-user';
import type { InteropClient } from '../../../src/interop-client/client';

export const SECRETS = { native: 'native-dev-secret', plainchat: 'plainchat-dev-secret', bridge: 'bridge-dev-secret' } as const;

/** Keeps the code of a dev gateway's `printDevCode` line (what would be texted) by number. */
export function devCodeInto(codes: Map<string, string>, line: string): void {
  const found = /verification code for (\+\d+): (\d+)/.exec(line);
  if (found) codes.set(found[1], found[2]);
}

export class TestGateway {
  readonly dir: string;
  readonly dbPath: string;
  private running: RunningGateway | undefined;
  private port = 0;
  private readonly sims: SimUser[] = [];

  private constructor(private readonly options: Partial<GatewayOptions>) {
    this.dir = mkdtempSync(join(tmpdir(), 'interop-gw-'));
    this.dbPath = join(this.dir, 'gateway.db');
  }

  static async start(options: Partial<GatewayOptions> = {}): Promise<TestGateway> {
    const gw = new TestGateway(options);
    await gw.boot();
    return gw;
  }

  private async boot(overrides: Partial<GatewayOptions> = {}): Promise<void> {
    this.running = await startGateway({
      devMode: true,
      log: silentLogger,
      printDevCode: () => {},
      ...this.options,
      ...overrides,
      host: '127.0.0.1',
      port: this.port,
      databasePath: this.dbPath,
    });
    this.port = this.running.port;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/`;
  }

  /** Stops the gateway (dropping every socket) and starts it again on the same port and database. */
  async restart(): Promise<void> {
    await this.running?.close();
    await this.boot();
  }

  async stopGateway(): Promise<void> {
    await this.running?.close();
    this.running = undefined;
  }

  /** Starts it again on the same port and database; `overrides` for this run only (say, other provider secrets). */
  async startGatewayAgain(overrides: Partial<GatewayOptions> = {}): Promise<void> {
    await this.boot(overrides);
  }

  /** A simulated user on this gateway, registered unless `register: false`. */
  async sim(phone: string, opts: Partial<SimUserOptions> & { register?: boolean } = {}): Promise<SimUser> {
    const provider = opts.provider ?? 'native';
    const sim = await SimUser.create({
      url: this.url,
      phone,
      provider,
      secret: SECRETS[provider as keyof typeof SECRETS] ?? '',
      dataDir: this.dir,
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      preKeyBatch: 20,
      kyberPreKeyBatch: 5,
      ...opts,
    });
    this.sims.push(sim);
    if (opts.register !== false) await sim.register();
    return sim;
  }

  /** Read-only view of the gateway's database, as an attacker with the disk would have it. */
  openDatabase(readonly = true): Database.Database {
    return new Database(this.dbPath, { readonly });
  }

  async close(): Promise<void> {
    for (const s of this.sims.splice(0)) await s.close().catch(() => undefined);
    await this.running?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Every text and blob value of every table of a SQLite database. */
export function allValues(db: Database.Database): Array<{ table: string; column: string; value: string | Buffer }> {
  const out: Array<{ table: string; column: string; value: string | Buffer }> = [];
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
  for (const { name } of tables) {
    for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Array<Record<string, unknown>>) {
      for (const [column, value] of Object.entries(row)) {
        if (typeof value === 'string' || Buffer.isBuffer(value)) out.push({ table: name, column, value });
      }
    }
  }
  return out;
}

/**
 * Where `needle` appears in the database: in a text or blob value, or inside any base64 run
 * within one (plaintext bodies travel base64-encoded, so a plain search alone would miss them).
 */
export function findPlaintext(db: Database.Database, needle: string): string[] {
  const hits: string[] = [];
  const bytes = Buffer.from(needle, 'utf8');
  for (const { table, column, value } of allValues(db)) {
    const buf = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    if (buf.indexOf(bytes) >= 0) hits.push(`${table}.${column}`);
    const text = typeof value === 'string' ? value : value.toString('latin1');
    for (const run of text.match(/[A-Za-z0-9+/]{16,}={0,2}/g) ?? []) {
      if (Buffer.from(run, 'base64').indexOf(bytes) >= 0) hits.push(`${table}.${column} (base64)`);
    }
  }
  return hits;
}

/** Starts a client on its stored device, registering one first (dev code) if it has none. */
export async function startRegistered(client: InteropClient): Promise<void> {
  if ((await client.load()) === undefined) {
    const req = await client.requestCode();
    await client.confirmCode(req.devCode as string);
    await client.registerDevice();
  }
  await client.start();
}
