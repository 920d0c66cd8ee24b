/** What every shared store suite does around a case: a fresh store with Alice and Bob as
 *  users, closed afterwards whatever the case did. */
import type { BridgeStore } from '../../../src/store';

export const alice = '@alice:example.org';
export const bob = '@bob:example.org';

/** opens a fresh, empty store: what every shared suite takes, so that any engine can run it */
export type OpenStore = () => Promise<BridgeStore>;

export async function withStore(open: OpenStore, fn: (store: BridgeStore) => Promise<void>): Promise<void> {
  const store = await open();
  try {
    await store.users.ensure(alice);
    await store.users.ensure(bob);
    await fn(store);
  } finally {
    await store.close();
  }
}
