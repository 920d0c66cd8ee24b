/**
 * The order an account's inbound envelopes are processed in, one at a time: those of senders
 * the consumer prefers (contacts the user chats with) before a backlog from everyone else.
 * Under a flood of first messages from unknown numbers, an established chat's message then
 * waits for the one envelope being processed, not for hundreds of decryptions queued ahead of
 * it (measured in tests/e2e/request-flood.test.ts: 46 to 255 envelopes ahead, 180-220 ms).
 *
 * A sender's envelopes keep their order (Signal sessions and the chat's order depend on it):
 * while any envelope of a sender waits in the ordinary lane, that sender's later ones queue
 * behind it there, even once the sender is preferred, until that lane holds none of theirs.
 */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    // let go of it at once: an envelope may be a frame of many megabytes
    this.items[this.head++] = undefined;
    // and drop the emptied front now and then, so a long flood does not grow the array for good
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

export class EnvelopeLanes<T> {
  private readonly preferred = new Fifo<{ item: T; sender: string }>();
  private readonly ordinary = new Fifo<{ item: T; sender: string }>();
  /** how many envelopes of each sender wait in the ordinary lane */
  private readonly inOrdinary = new Map<string, number>();

  get size(): number {
    return this.preferred.length + this.ordinary.length;
  }

  push(item: T, sender: string, preferred: boolean): void {
    if (preferred && !this.inOrdinary.has(sender)) {
      this.preferred.push({ item, sender });
      return;
    }
    this.ordinary.push({ item, sender });
    this.inOrdinary.set(sender, (this.inOrdinary.get(sender) ?? 0) + 1);
  }

  /** the next envelope to process: a preferred sender's first */
  shift(): T | undefined {
    const first = this.preferred.shift();
    if (first) return first.item;
    const next = this.ordinary.shift();
    if (!next) return undefined;
    const left = (this.inOrdinary.get(next.sender) ?? 1) - 1;
    if (left === 0) this.inOrdinary.delete(next.sender);
    else this.inOrdinary.set(next.sender, left);
    return next.item;
  }
}
