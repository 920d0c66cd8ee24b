/** Exponential backoff with jitter, so many clients reconnecting after a gateway restart
 *  do not all knock at the same instant. */
export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  /** 0..1: the delay is drawn uniformly from [d·(1-jitter), d·(1+jitter)] */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 100, maxDelayMs: 10_000, factor: 2, jitter: 0.3 };

export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(o.maxDelayMs, o.initialDelayMs * o.factor ** attempt);
  const spread = base * o.jitter;
  return Math.max(0, Math.round(base - spread + random() * 2 * spread));
}
