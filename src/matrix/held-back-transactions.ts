/**
 * Asks the homeserver for a transaction it may have held back.
 *
 * Synapse (seen with 1.163) can leave a transaction unsent after it recovers from an
 * appservice outage: its recoverer reads "nothing left to send", and before it marks the
 * appservice up again, a new transaction is created, stored as "for later" because the
 * service still counts as down, and not sent. The next one goes straight out, so the bridge
 * receives transaction k+1 after k-1, and k waits in Synapse's database until the next
 * outage starts a recoverer, which sends it then: late and out of order. The fault suite saw
 * exactly this once in six runs after a `kill -9` of the bridge.
 *
 * Synapse numbers transactions with one counter, so such a gap is visible. When one appears
 * while a held-back transaction is possible (shortly after the bridge started, answered a
 * transaction with an error, or saw one retried), the bridge refuses the new transaction
 * (503, nothing of it handled) and pings the homeserver (Matrix 1.7 appservice ping), which
 * makes Synapse's recoverer send what it holds right away, oldest first: the held-back one,
 * then the refused one. A gap can also be innocent (another appservice on the homeserver took
 * the numbers between), so each gap is probed once, and probes are spaced out.
 */
import type { IntakeLogger } from './transaction-intake';

export interface HeldBackProbeOptions {
  /** asks the homeserver to send the transactions it holds now (POST /_matrix/client/v1/appservice/{id}/ping) */
  ping(): Promise<void>;
  log: IntakeLogger;
  /** the last transaction handled before this start, to see a gap in the first one */
  lastHandled?: string;
  now?: () => number;
  /** how long after a start, a failed answer or a retried transaction a gap is probed */
  suspicionMs?: number;
  /** at most one probe this often */
  minIntervalMs?: number;
  /** how long after the refusal the ping goes (the homeserver must first see the refusal) */
  pingDelayMs?: number;
}

const SUSPICION_MS = 10 * 60_000;
const MIN_INTERVAL_MS = 10_000;
const PING_DELAY_MS = 200;

/** Synapse's transaction IDs are decimal integers; any other homeserver's are left alone. */
function numeric(txnId: string): number | undefined {
  if (!/^[0-9]{1,15}$/.test(txnId)) return undefined;
  return Number(txnId);
}

export class HeldBackProbe {
  private last: number | undefined;
  private suspectUntil: number;
  /** the transaction refused to make the homeserver send an older one first */
  private probed: number | undefined;
  private lastProbeAt = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: HeldBackProbeOptions) {
    this.now = options.now ?? Date.now;
    this.last = options.lastHandled === undefined ? undefined : numeric(options.lastHandled);
    this.suspectUntil = this.now() + (options.suspicionMs ?? SUSPICION_MS);
  }

  /** The homeserver may have seen a failure (an error answer, a retry, a time-out): it recovers next. */
  suspect(): void {
    this.suspectUntil = Math.max(this.suspectUntil, this.now() + (this.options.suspicionMs ?? SUSPICION_MS));
  }

  /** True when this transaction must be refused so that a held-back older one comes first. */
  refuse(txnId: string): boolean {
    const n = numeric(txnId);
    if (n === undefined || this.last === undefined || n <= this.last + 1) return false;
    const now = this.now();
    if (now > this.suspectUntil) return false;
    // refused once already and sent again without anything older: the gap was innocent
    if (this.probed === n) return false;
    if (now - this.lastProbeAt < (this.options.minIntervalMs ?? MIN_INTERVAL_MS)) return false;
    this.probed = n;
    this.lastProbeAt = now;
    this.options.log.info(
      `transaction ${txnId} follows ${this.last}: refused once (503) and the homeserver pinged, so that a transaction it may hold back comes first`,
    );
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.options.ping().catch((error: Error) => this.options.log.warn(`appservice ping to the homeserver failed (${error.message}); it retries the refused transaction by itself`));
    }, this.options.pingDelayMs ?? PING_DELAY_MS);
    timer.unref();
    this.timers.add(timer);
    return true;
  }

  /** A transaction was handled (answered 200). */
  handled(txnId: string): void {
    const n = numeric(txnId);
    if (n === undefined) return;
    if (this.probed !== undefined) {
      if (n < this.probed) {
        this.options.log.warn(
          `transaction ${txnId} had been held back by the homeserver (the bridge had already been offered ${this.probed}); it was handled first, so order is kept`,
        );
      } else {
        this.probed = undefined;
      }
    }
    this.last = n;
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
