/**
 * The shared test suite every BridgeStore implementation must pass (SQLite now; PostgreSQL
 * later runs the very same cases).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BridgeStore } from '../../../src/store';

export function bridgeStoreSuite(name: string, open: () => BridgeStore): void {
  test(`${name}: users are created once and keep their fields`, () => {
    const store = open();
    try {
      const first = store.users.ensure('@alice:example.org');
      assert.equal(first.managementRoom, null);
      assert.deepEqual(first.settings, {});
      store.users.setManagementRoom('@alice:example.org', '!room:example.org');
      store.users.updateSettings('@alice:example.org', { lang: 'de' });
      const again = store.users.ensure('@alice:example.org');
      assert.equal(again.managementRoom, '!room:example.org');
      assert.deepEqual(again.settings, { lang: 'de' });
      assert.equal(again.createdAt, first.createdAt);
      assert.equal(store.users.findByManagementRoom('!room:example.org')?.mxid, '@alice:example.org');
      assert.equal(store.users.get('@bob:example.org'), undefined);
    } finally {
      store.close();
    }
  });

  test(`${name}: a management room belongs to one user at most`, () => {
    const store = open();
    try {
      store.users.ensure('@a:x');
      store.users.ensure('@b:x');
      store.users.setManagementRoom('@a:x', '!r:x');
      store.users.setManagementRoom('@b:x', '!r:x');
      assert.equal(store.users.get('@a:x')?.managementRoom, null);
      assert.equal(store.users.findByManagementRoom('!r:x')?.mxid, '@b:x');
    } finally {
      store.close();
    }
  });

  test(`${name}: processed transactions are remembered and pruned by age`, () => {
    const store = open();
    try {
      assert.equal(store.transactions.isProcessed('t1'), false);
      store.transactions.markProcessed('t1');
      store.transactions.markProcessed('t1');
      assert.equal(store.transactions.isProcessed('t1'), true);
      assert.equal(store.transactions.prune(Date.now() - 60_000), 0);
      assert.equal(store.transactions.prune(Date.now() + 1), 1);
      assert.equal(store.transactions.isProcessed('t1'), false);
    } finally {
      store.close();
    }
  });
}
