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
      assert.equal(first.inboxSpace, null);
      store.users.setInboxSpace('@alice:example.org', '!space:example.org');
      const again = store.users.ensure('@alice:example.org');
      assert.equal(again.managementRoom, '!room:example.org');
      assert.equal(again.inboxSpace, '!space:example.org');
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

  test(`${name}: a transaction is the same only with the same ID and the same contents`, () => {
    const store = open();
    try {
      assert.equal(store.transactions.isProcessed('1', 'hash-a'), false);
      store.transactions.markProcessed('1', 'hash-a');
      store.transactions.markProcessed('1', 'hash-a');
      assert.equal(store.transactions.isProcessed('1', 'hash-a'), true);
      // the ID reused with other contents (a homeserver that restarted its counter) is new
      assert.equal(store.transactions.isProcessed('1', 'hash-b'), false);
    } finally {
      store.close();
    }
  });

  test(`${name}: handled events and transactions are remembered and pruned by age`, () => {
    const store = open();
    try {
      assert.equal(store.transactions.isEventHandled('$e1'), false);
      store.transactions.markEventHandled('$e1');
      store.transactions.markEventHandled('$e1');
      store.transactions.markProcessed('t1', 'h');
      assert.equal(store.transactions.isEventHandled('$e1'), true);
      assert.equal(store.transactions.prune(Date.now() - 60_000), 0);
      assert.equal(store.transactions.prune(Date.now() + 1), 2);
      assert.equal(store.transactions.isEventHandled('$e1'), false);
      assert.equal(store.transactions.isProcessed('t1', 'h'), false);
    } finally {
      store.close();
    }
  });

  test(`${name}: encrypted events awaiting keys: held once (the first time stays), oldest first, released`, () => {
    const store = open();
    try {
      const event = (id: string) => ({ type: 'm.room.encrypted', event_id: id, content: { ciphertext: 'c' } });
      assert.equal(store.awaitingKeys.hold({ eventId: '$b', roomId: '!r:x', event: event('$b'), reason: 'MissingRoomKey', heldAt: 20 }), true);
      assert.equal(store.awaitingKeys.hold({ eventId: '$a', roomId: '!r:x', event: event('$a'), reason: 'UnknownMessageIndex', heldAt: 10 }), true);
      assert.equal(store.awaitingKeys.hold({ eventId: '$b', roomId: '!r:x', event: event('$b'), reason: 'MissingRoomKey', heldAt: 99 }), false);
      assert.equal(store.awaitingKeys.count(), 2);
      assert.deepEqual(store.awaitingKeys.oldest(1), [{ eventId: '$a', roomId: '!r:x', event: event('$a'), reason: 'UnknownMessageIndex', heldAt: 10 }]);
      assert.deepEqual(store.awaitingKeys.oldest(5).map((e) => [e.eventId, e.heldAt]), [['$a', 10], ['$b', 20]]);
      assert.equal(store.awaitingKeys.release('$a'), true);
      assert.equal(store.awaitingKeys.release('$a'), false);
      assert.deepEqual(store.awaitingKeys.oldest(5).map((e) => e.eventId), ['$b']);
    } finally {
      store.close();
    }
  });

  test(`${name}: bot command receipts: accepted once, pending until finished, pruned when done`, () => {
    const store = open();
    try {
      const cmd = { eventId: '$c1', roomId: '!r:x', sender: '@a:x', kind: 'command' as const, name: 'login' };
      assert.equal(store.botCommands.accept(cmd), true);
      assert.equal(store.botCommands.accept(cmd), false, 'a retried event is not accepted twice');
      store.botCommands.accept({ ...cmd, eventId: '$c2', kind: 'invite', name: 'invite' });
      assert.deepEqual(store.botCommands.pending().map((c) => [c.eventId, c.kind, c.name]), [['$c1', 'command', 'login'], ['$c2', 'invite', 'invite']]);
      store.botCommands.finish('$c1');
      assert.deepEqual(store.botCommands.pending().map((c) => c.eventId), ['$c2']);
      assert.equal(store.botCommands.accept(cmd), false, 'a finished command is not accepted again');
      assert.equal(store.botCommands.prune(Date.now() + 1), 1, 'only finished commands are forgotten');
      assert.deepEqual(store.botCommands.pending().map((c) => c.eventId), ['$c2']);
    } finally {
      store.close();
    }
  });
}
