/**
 * The shared test suite every BridgeStore implementation must pass (SQLite now; PostgreSQL
 * later runs the very same cases).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OpenStore } from './with-store';

export function bridgeStoreSuite(name: string, open: OpenStore): void {
  test(`${name}: users are created once and keep their fields`, async () => {
    const store = await open();
    try {
      const first = await store.users.ensure('@alice:example.org');
      assert.equal(first.managementRoom, null);
      assert.deepEqual(first.settings, {});
      await store.users.setManagementRoom('@alice:example.org', '!room:example.org');
      await store.users.updateSettings('@alice:example.org', { lang: 'de' });
      assert.equal(first.inboxSpace, null);
      await store.users.setInboxSpace('@alice:example.org', '!space:example.org');
      const again = await store.users.ensure('@alice:example.org');
      assert.equal(again.managementRoom, '!room:example.org');
      assert.equal(again.inboxSpace, '!space:example.org');
      assert.deepEqual(again.settings, { lang: 'de' });
      assert.equal(again.createdAt, first.createdAt);
      assert.equal((await store.users.findByManagementRoom('!room:example.org'))?.mxid, '@alice:example.org');
      assert.equal(await store.users.get('@bob:example.org'), undefined);
    } finally {
      await store.close();
    }
  });

  test(`${name}: a management room belongs to one user at most`, async () => {
    const store = await open();
    try {
      await store.users.ensure('@a:x');
      await store.users.ensure('@b:x');
      await store.users.setManagementRoom('@a:x', '!r:x');
      await store.users.setManagementRoom('@b:x', '!r:x');
      assert.equal((await store.users.get('@a:x'))?.managementRoom, null);
      assert.equal((await store.users.findByManagementRoom('!r:x'))?.mxid, '@b:x');
    } finally {
      await store.close();
    }
  });

  test(`${name}: a transaction is the same only with the same ID and the same contents`, async () => {
    const store = await open();
    try {
      assert.equal(await store.transactions.isProcessed('1', 'hash-a'), false);
      await store.transactions.markProcessed('1', 'hash-a');
      await store.transactions.markProcessed('1', 'hash-a');
      assert.equal(await store.transactions.isProcessed('1', 'hash-a'), true);
      // the ID reused with other contents (a homeserver that restarted its counter) is new
      assert.equal(await store.transactions.isProcessed('1', 'hash-b'), false);
    } finally {
      await store.close();
    }
  });

  test(`${name}: handled events and transactions are remembered and pruned by age`, async () => {
    const store = await open();
    try {
      assert.equal(await store.transactions.isEventHandled('$e1'), false);
      await store.transactions.markEventHandled('$e1');
      await store.transactions.markEventHandled('$e1');
      await store.transactions.markProcessed('t1', 'h');
      assert.equal(await store.transactions.isEventHandled('$e1'), true);
      assert.equal(await store.transactions.prune(Date.now() - 60_000), 0);
      assert.equal(await store.transactions.prune(Date.now() + 1), 2);
      assert.equal(await store.transactions.isEventHandled('$e1'), false);
      assert.equal(await store.transactions.isProcessed('t1', 'h'), false);
    } finally {
      await store.close();
    }
  });

  test(`${name}: encrypted events awaiting keys: held once (the first time stays), oldest first, released`, async () => {
    const store = await open();
    try {
      const event = (id: string) => ({ type: 'm.room.encrypted', event_id: id, content: { ciphertext: 'c' } });
      assert.equal(await store.awaitingKeys.hold({ eventId: '$b', roomId: '!r:x', event: event('$b'), reason: 'MissingRoomKey', heldAt: 20 }), true);
      assert.equal(await store.awaitingKeys.hold({ eventId: '$a', roomId: '!r:x', event: event('$a'), reason: 'UnknownMessageIndex', heldAt: 10 }), true);
      assert.equal(await store.awaitingKeys.hold({ eventId: '$b', roomId: '!r:x', event: event('$b'), reason: 'MissingRoomKey', heldAt: 99 }), false);
      assert.equal(await store.awaitingKeys.count(), 2);
      assert.deepEqual(await store.awaitingKeys.oldest(1), [{ eventId: '$a', roomId: '!r:x', event: event('$a'), reason: 'UnknownMessageIndex', heldAt: 10 }]);
      assert.deepEqual((await store.awaitingKeys.oldest(5)).map((e) => [e.eventId, e.heldAt]), [['$a', 10], ['$b', 20]]);
      assert.equal(await store.awaitingKeys.release('$a'), true);
      assert.equal(await store.awaitingKeys.release('$a'), false);
      assert.deepEqual((await store.awaitingKeys.oldest(5)).map((e) => e.eventId), ['$b']);
    } finally {
      await store.close();
    }
  });

  test(`${name}: bot command receipts: accepted once, pending until finished, pruned when done`, async () => {
    const store = await open();
    try {
      const cmd = { eventId: '$c1', roomId: '!r:x', sender: '@a:x', kind: 'command' as const, name: 'login' };
      assert.equal(await store.botCommands.accept(cmd), true);
      assert.equal(await store.botCommands.accept(cmd), false, 'a retried event is not accepted twice');
      await store.botCommands.accept({ ...cmd, eventId: '$c2', kind: 'invite', name: 'invite' });
      assert.deepEqual((await store.botCommands.pending()).map((c) => [c.eventId, c.kind, c.name]), [['$c1', 'command', 'login'], ['$c2', 'invite', 'invite']]);
      await store.botCommands.finish('$c1');
      assert.deepEqual((await store.botCommands.pending()).map((c) => c.eventId), ['$c2']);
      assert.equal(await store.botCommands.accept(cmd), false, 'a finished command is not accepted again');
      assert.equal(await store.botCommands.prune(Date.now() + 1), 1, 'only finished commands are forgotten');
      assert.deepEqual((await store.botCommands.pending()).map((c) => c.eventId), ['$c2']);
    } finally {
      await store.close();
    }
  });
}
