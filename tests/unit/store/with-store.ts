/** What every shared store suite does around a case: a fresh store with Alice and Bob as
 *  users, closed afterwards whatever the case did. */
import type { BridgeStore } from '../../../src/store';

export const alice = '@alice:example.org';
export const bob = '@bob:example.org';

export function withStore(open: () => BridgeStore, fn: (store: BridgeStore) => void): void {
  const store = open();
  try {
    store.users.ensure(alice);
    store.users.ensure(bob);
    fn(store);
  } finally {
    store.close();
  }
}
