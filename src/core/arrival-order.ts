/**
 * Keeps a contact's events in the order they arrived while a filter in front of the intake
 * looks something up for each (is the number blocked, is its provider). The intake puts an
 * event into the contact's line when it is handed the event; a lookup in the store takes its
 * own time, and two events whose lookups finish out of order (a receipt's takes more reads
 * than a message's; a pooled database answers in any order) would reach the line swapped.
 * So each event's lookup starts once the previous one of the same contact has finished, and
 * its result is acted on before the next lookup begins. Only the lookups wait on each other,
 * never the deliveries behind them.
 */
export class ArrivalOrder {
  /** per contact, the last lookup's end */
  private readonly tails = new Map<string, Promise<void>>();

  /** `lookup`'s answer, in arrival order per `key`: act on it in the continuation of the
   *  returned promise, which runs before the next lookup of the key starts */
  lookup<T>(key: string, lookup: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    const answer = previous === undefined ? lookup() : previous.then(lookup);
    // registered before the caller's continuation, so that runs first, then the next lookup
    const tail: Promise<void> = answer.then(
      () => this.settled(key, tail),
      () => this.settled(key, tail),
    );
    this.tails.set(key, tail);
    return answer;
  }

  private settled(key: string, tail: Promise<void>): void {
    if (this.tails.get(key) === tail) this.tails.delete(key);
  }
}
