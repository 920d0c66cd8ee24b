/**
 * One ordered queue per key: work for the same key runs strictly one after the other, in
 * arrival order; work for different keys runs concurrently. A failing task does not stop the
 * tasks behind it (each caller gets its own result). Used for a portal's messages (order) and
 * for a Signal session's ratchet (two concurrent steps would lose one update). A task behind
 * another starts on a later turn of the event loop, so a long line never starves I/O.
 */
/** resolves in the event loop's check phase, after the socket reads that were due */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    // A task queued behind another starts on a later turn of the event loop. Tasks that only
    // await settled promises (synchronous SQLite behind async signatures) would otherwise run
    // a whole line in one turn, and no socket is read until it is through: under a flood of
    // message requests core's request line held the bridge's event loop up to 210 ms.
    const result = previous ? previous.then(nextTurn).then(task) : Promise.resolve().then(task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      // forget idle keys so the map does not grow with every portal ever seen
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** resolves when everything queued so far (for all keys) has finished */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }

  get activeKeys(): number {
    return this.tails.size;
  }
}
