/**
 * Holds the store's other callers back while an asynchronous transaction is open.
 *
 * The SQLite store has one connection. `atomically(fn)` opens a transaction on it and then
 * awaits `fn`; in those awaited gaps any other part of the bridge may call the store. Run at
 * once, such a call would land inside the open transaction: rolled back with it if `fn`
 * fails, or committing someone else's half-done work with it. So while a transaction is
 * open, every call not made through its `tx` waits here, in arrival order, and runs when the
 * transaction has ended. With no transaction open a call runs at once: the check is one
 * property read, with no promise or closure of its own (this is every store call's path).
 */

/** a repository method as the wrappers call it (the widest takes four arguments today) */
type Method = (this: unknown, ...args: unknown[]) => Promise<unknown>;

/** the wrappers pass on a fixed number of arguments, so that a call allocates no array */
const MAX_ARGUMENTS = 6;

export class TransactionGate {
  /** a transaction is open: calls from outside it wait */
  closed = false;
  private readonly waiting: (() => void)[] = [];

  /** runs `call` once no transaction is open (at once if none is), keeping arrival order */
  whenOpen<T>(call: () => Promise<T>): Promise<T> {
    if (!this.closed) return call();
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => {
        call().then(resolve, reject);
      });
    });
  }

  /** the transaction has ended: let the waiting calls run, oldest first, until one of them
   *  opens the next transaction (the rest then wait for that one) */
  reopen(): void {
    this.closed = false;
    while (!this.closed && this.waiting.length > 0) {
      const next = this.waiting.shift() as () => void;
      next();
    }
  }
}

function methodsOf(repository: object): [string, Method][] {
  const methods: [string, Method][] = [];
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(repository))) {
    const value = (repository as Record<string, unknown>)[name];
    if (name === 'constructor' || typeof value !== 'function') continue;
    if (value.length > MAX_ARGUMENTS) throw new Error(`${name} takes more than ${MAX_ARGUMENTS} arguments; raise MAX_ARGUMENTS`);
    methods.push([name, value as Method]);
  }
  return methods;
}

/** `repository` as the store's own callers see it: each call waits while a transaction is open */
export function gated<R extends object>(repository: R, gate: TransactionGate): R {
  const view: Record<string, Method> = {};
  for (const [name, method] of methodsOf(repository)) {
    view[name] = (a, b, c, d, e, f) =>
      gate.closed ? gate.whenOpen(() => method.call(repository, a, b, c, d, e, f)) : method.call(repository, a, b, c, d, e, f);
  }
  return view as R;
}
