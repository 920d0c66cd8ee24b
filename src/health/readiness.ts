/**
 * Whether the bridge can do its work now, for `/ready`: the homeserver answers, and the
 * network is connected for at least one login (or no login is waiting to connect). Liveness
 * (`/health`) is simpler and lives in endpoints.ts.
 *
 * The homeserver is asked with a cheap request (the caller's probe: `/versions`) with a short
 * time-out, and the answer is kept for a few seconds, so a load balancer polling every second
 * does not turn into a request per poll. Logins the network ended (device removed, refused)
 * wait for their user to log in again: they are not "configured to connect", so they do not
 * make the bridge unready; a login connecting or backing off does.
 */
import { isTerminal, type LoginStateName } from '../core/sessions';

export interface ReadinessSources {
  /** resolves when the homeserver answers; rejects (or hangs) when it does not */
  homeserver(): Promise<void>;
  /** the state of every login the bridge holds */
  logins(): readonly { state: LoginStateName }[];
}

export interface ReadinessOptions {
  /** how long an answer of the homeserver is reused (ms) */
  cacheMs?: number;
  /** a homeserver slower than this counts as not answering (ms) */
  timeoutMs?: number;
  now?: () => number;
}

export interface CheckResult {
  ok: boolean;
  /** what was found, in words (no user IDs or phone numbers: /ready needs no credentials) */
  detail: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: { homeserver: CheckResult; network: CheckResult };
}

const DEFAULT_CACHE_MS = 5_000;
const DEFAULT_TIMEOUT_MS = 3_000;

export class ReadinessCheck {
  private cached?: { at: number; result: CheckResult };
  private inFlight?: Promise<CheckResult>;
  private readonly cacheMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly sources: ReadinessSources, options: ReadinessOptions = {}) {
    this.cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  async check(): Promise<ReadinessReport> {
    const [homeserver, network] = [await this.homeserver(), this.network()];
    return { ready: homeserver.ok && network.ok, checks: { homeserver, network } };
  }

  private network(): CheckResult {
    const active = this.sources.logins().filter((l) => !isTerminal(l.state));
    if (active.length === 0) return { ok: true, detail: 'no login is waiting to connect' };
    const connected = active.filter((l) => l.state === 'connected').length;
    return { ok: connected > 0, detail: `${connected} of ${active.length} login(s) connected to the network` };
  }

  private async homeserver(): Promise<CheckResult> {
    if (this.cached && this.now() - this.cached.at < this.cacheMs) return this.cached.result;
    // requests arriving together share one probe
    this.inFlight ??= this.probe().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async probe(): Promise<CheckResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      // not unref'd: a check in progress is work, and it ends within timeoutMs
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    let result: CheckResult;
    try {
      await Promise.race([this.sources.homeserver(), timeout]);
      result = { ok: true, detail: 'the homeserver answers' };
    } catch (error) {
      result = { ok: false, detail: `the homeserver does not answer: ${error instanceof Error ? error.message : String(error)}` };
    } finally {
      clearTimeout(timer);
    }
    this.cached = { at: this.now(), result };
    return result;
  }
}
