// The SQLite store's transactions on its one connection: while one is open, calls not made
// through its `tx` wait (src/store/sqlite/transaction-gate.ts). Engine-specific, so not in the
// shared suites; what any engine must do with transactions is in chat-store-suite.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBridgeStore, type BridgeStore } from '../../../src/store';

const dir = mkdtempSync(join(tmpdir(), 'mib-store-tx-'));
let counter = 0;
const alice = '@alice:example.org';
const bob = '@bob:example.org';
const contact = '+4915112345678';

/** a promise to wait on and the function that settles it */
function gate(): { reached: Promise<void>; reach: () => void } {
  let reach!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  return { reached, reach };
}

async function withSqlite(fn: (store: SqliteBridgeStore) => Promise<void>): Promise<void> {
  const store = SqliteBridgeStore.open(join(dir, `tx-${++counter}.db`));
  try {
    await store.users.ensure(alice);
    await store.users.ensure(bob);
    await fn(store);
  } finally {
    await store.close();
  }
}

test('sqlite: a call made in a transaction\'s awaited gap waits for it, so it neither joins nor is rolled back with it', () =>
  withSqlite(async (store) => {
    const inside = gate();
    const release = gate();
    let seenInside: boolean | undefined;
    const transaction = store.atomically(async (tx) => {
      await tx.portals.ensure(alice, contact);
      inside.reach();
      await release.reached;
      // on the one connection the outside call would have run by now, inside this transaction
      seenInside = await tx.blocks.isBlocked(bob, contact);
      throw new Error('rolled back');
    });
    await inside.reached;
    const outside = store.blocks.add(bob, contact);
    release.reach();
    await assert.rejects(transaction, /rolled back/);
    assert.equal(seenInside, false, 'the outside call did not run inside the open transaction');
    assert.equal(await outside, true);
    assert.equal(await store.blocks.isBlocked(bob, contact), true, 'it ran after the rollback, and stayed');
    assert.equal(await store.portals.get(alice, contact), undefined);
  }));

test('sqlite: a transaction opened while another is open waits its turn; both commit, in order', () =>
  withSqlite(async (store) => {
    const inside = gate();
    const release = gate();
    const order: string[] = [];
    const first = store.atomically(async (tx) => {
      await tx.portals.ensure(alice, contact);
      inside.reach();
      await release.reached;
      order.push('first');
    });
    await inside.reached;
    const second = store.atomically(async (tx) => {
      order.push('second');
      // it sees what the first committed
      return (await tx.portals.get(alice, contact)) !== undefined;
    });
    release.reach();
    await first;
    assert.equal(await second, true);
    assert.deepEqual(order, ['first', 'second']);
  }));

test('sqlite: calls that waited run in the order they were made, before a transaction queued after them', () =>
  withSqlite(async (store) => {
    const inside = gate();
    const release = gate();
    const open = store.atomically(async () => {
      inside.reach();
      await release.reached;
    });
    await inside.reached;
    const added = store.blocks.add(alice, contact);
    const later = store.atomically(async (tx) => tx.blocks.isBlocked(alice, contact));
    const removed = store.blocks.remove(alice, contact);
    release.reach();
    await open;
    assert.equal(await added, true);
    assert.equal(await later, true, 'the transaction queued after the add saw it');
    assert.equal(await removed, true, 'the remove queued after that transaction ran after it');
    assert.equal(await store.blocks.isBlocked(alice, contact), false);
  }));

test('sqlite: a tx kept beyond its transaction refuses to be used', () =>
  withSqlite(async (store) => {
    let kept: BridgeStore | undefined;
    await store.atomically(async (tx) => {
      kept = tx;
      await tx.users.ensure(alice);
    });
    await assert.rejects(async () => kept!.blocks.add(alice, contact), /through a transaction that has ended/);
    await assert.rejects(kept!.atomically(async () => undefined), /through a transaction that has ended/);
    assert.equal(await store.blocks.isBlocked(alice, contact), false);
  }));

test('sqlite: a failed statement inside a transaction rolls back what came before it', () =>
  withSqlite(async (store) => {
    await assert.rejects(
      store.atomically(async (tx) => {
        await tx.portals.ensure(alice, contact);
        // no such user: the foreign key refuses it
        await tx.portals.ensure('@nobody:example.org', contact);
      }),
      /FOREIGN KEY/,
    );
    assert.equal(await store.portals.get(alice, contact), undefined);
    // and the store is usable afterwards
    assert.ok(await store.portals.ensure(alice, contact));
  }));
