/**
 * Remote → Matrix: one step of a delivery (bridging a message, the notice that stands for
 * it, the acknowledgement) tried for as long as its failure is transient. No retry count:
 * a homeserver outage of any length only delays the portal's queue (docs/delivery.md).
 * The loop ends only when the step succeeds, when retrying cannot help (a refusal, a message
 * the homeserver alone keeps failing on, a message past bridge.delivery.max_age_seconds:
 * GivenUp, for the caller to turn into a notice), or when the session stops (Stopped: the
 * envelope is left unacknowledged and the network hands it over again later).
 */
import { backoffDelay, type BackoffOptions } from '../lib/backoff';
import type { CoreContext } from './context';
import { isDeterministicFailure, isPermanent, isServerError } from './errors';

/** consecutive 5xx answers to one step before the homeserver is probed: a message it fails
 *  on while it answers everything else is poison, not an outage */
export const POISON_AFTER = 3;
/** a still-failing step is reported at warn level on its first failure and every so often */
const WARN_EVERY = 10;

export type Ending =
  /** the homeserver (4xx) or the bridge's own checks refused it: no retry can change that */
  | { kind: 'refused'; error: Error }
  /** the homeserver answers other requests but fails on this one, again and again (5xx, or
   *  the same exception from the bridge's own handling of it) */
  | { kind: 'poison'; error: Error }
  /** older than bridge.delivery.max_age_seconds and still failing */
  | { kind: 'expired'; error: Error };

export class GivenUp extends Error {
  constructor(readonly ending: Ending) {
    super(ending.error.message);
    this.name = 'GivenUp';
  }
}

/** The session stopped while the step was still failing. */
export class Stopped extends Error {
  constructor() {
    super('the session stopped');
    this.name = 'Stopped';
  }
}

export interface StepOptions {
  /** when the message was sent (ms since the epoch): with it, the step may expire */
  sentAt?: number;
  /** watch for a poison message (only for sends of remote content) */
  poison?: boolean;
}


export class Persistence {
  private readonly stopping = new AbortController();

  constructor(private readonly ctx: CoreContext) {}

  get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /** ends every step in progress (with Stopped) and any later one at once */
  stop(): void {
    this.stopping.abort();
  }

  /** Runs `step` until it succeeds; throws GivenUp or Stopped. `label` names it in logs
   *  (IDs only: no phone numbers, no content). */
  async run<T>(label: string, step: () => Promise<T>, options: StepOptions = {}): Promise<T> {
    const { delivery } = this.ctx.config.bridge;
    const backoff: BackoffOptions = { initialDelayMs: delivery.retry_initial_ms, maxDelayMs: delivery.retry_max_ms, factor: 2, jitter: 0.3 };
    let failures = 0;
    let serverErrors = 0;
    for (;;) {
      if (this.stopped) throw new Stopped();
      try {
        return await step();
      } catch (caught) {
        const error = caught instanceof Error ? caught : new Error(String(caught));
        if (error instanceof GivenUp || error instanceof Stopped) throw error;
        if (this.stopped) throw new Stopped();
        if (isPermanent(error)) throw new GivenUp({ kind: 'refused', error });
        failures += 1;
        serverErrors = isServerError(error) || isDeterministicFailure(error) ? serverErrors + 1 : 0;
        if (options.poison && serverErrors >= POISON_AFTER && (await this.homeserverAnswers())) {
          throw new GivenUp({ kind: 'poison', error });
        }
        if (options.sentAt !== undefined && Date.now() - options.sentAt > delivery.max_age_seconds * 1000) {
          throw new GivenUp({ kind: 'expired', error });
        }
        const delay = backoffDelay(failures - 1, backoff);
        const line = `${label} failed ${failures} time(s), retrying in ${delay} ms while the failure lasts: ${error.message}`;
        if (failures === 1 || failures % WARN_EVERY === 0) this.ctx.log.warn(line);
        else this.ctx.log.debug(line);
        await this.pause(delay);
      }
    }
  }

  private async homeserverAnswers(): Promise<boolean> {
    try {
      await this.ctx.matrix.ping();
      return true;
    } catch {
      return false;
    }
  }

  private pause(ms: number): Promise<void> {
    const signal = this.stopping.signal;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
