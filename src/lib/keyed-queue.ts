/**
 * One ordered queue per key: work for the same key runs strictly one after the other, in
 * arrival order; work for different keys runs concurrently. A failing task does not stop the
 * tasks behind it (each caller gets its own result). Used for a portal's messages (order) and
 * for a Signal session's ratchet (two concurrent steps would lose one update).
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
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
