/** Shared cases for the chat repositories; every BridgeStore implementation runs them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alice, bob, withStore, type OpenStore } from './with-store';

const contact = '+4915112345678';

export function chatStoreSuite(name: string, open: OpenStore): void {
  test(`${name}: logins per user, each removed once`, async () =>
    await withStore(open, async (store) => {
      await store.logins.put(alice, contact, { deviceId: 3 });
      assert.deepEqual((await store.logins.get(alice))?.state, { deviceId: 3 });
      assert.equal(await store.logins.get(bob), undefined);
      assert.deepEqual((await store.logins.all()).map((l) => l.mxid), [alice]);
      assert.equal(await store.logins.remove(alice), true);
      assert.equal(await store.logins.remove(alice), false);
    }));

  test(`${name}: a login in progress per user: its progress replaced, its start kept, cleared`, async () =>
    await withStore(open, async (store) => {
      await store.users.ensure(alice);
      await store.logins.setPending(alice, contact, { step: 'code', answers: { phone: contact } });
      const first = (await store.logins.getPending(alice))!;
      await store.logins.setPending(alice, contact, { step: 'other' });
      const again = (await store.logins.getPending(alice))!;
      assert.deepEqual(again.progress, { step: 'other' });
      assert.equal(again.phone, contact);
      assert.equal(again.requestedAt, first.requestedAt);
      assert.equal(await store.logins.getPending(bob), undefined);
      await store.logins.clearPending(alice);
      assert.equal(await store.logins.getPending(alice), undefined);
    }));

  test(`${name}: one ghost per phone, profile kept`, async () =>
    await withStore(open, async (store) => {
      const ghost = await store.ghosts.ensure(contact, '@wa_+4915112345678:example.org');
      assert.equal(ghost.displayName, null);
      await store.ghosts.updateProfile(contact, { displayName: 'Carol', avatarRef: 'm1', avatarMxc: 'mxc://x/y' });
      const again = await store.ghosts.ensure(contact, '@other:example.org');
      assert.equal(again.mxid, '@wa_+4915112345678:example.org');
      assert.equal(again.displayName, 'Carol');
      assert.ok(again.profileUpdatedAt);
      assert.equal(await store.ghosts.count(), 1);
      await store.ghosts.ensure('+14155552671', '@wa_+14155552671:example.org');
      assert.equal(await store.ghosts.count(), 2);
    }));

  test(`${name}: portals are per (user, contact) and isolated between users`, async () =>
    await withStore(open, async (store) => {
      await store.portals.ensure(alice, contact);
      await store.portals.ensure(bob, contact);
      await store.portals.setRoom(alice, contact, '!a:x');
      await store.portals.setRoom(bob, contact, '!b:x');
      assert.equal((await store.portals.byRoom('!a:x'))?.owner, alice);
      assert.equal((await store.portals.byRoom('!b:x'))?.owner, bob);
      assert.deepEqual((await store.portals.ofOwner(alice)).map((p) => p.roomId), ['!a:x']);
      assert.deepEqual((await store.portals.ofContact(contact)).map((p) => p.owner).sort(), [alice, bob].sort());
      await store.portals.setEncrypted(alice, contact, true);
      assert.equal((await store.portals.get(alice, contact))?.encrypted, true);
      assert.equal((await store.portals.get(bob, contact))?.encrypted, false);
      assert.equal(await store.portals.count(), 2);
      assert.equal(await store.portals.withRoomCount(), 2);
      await store.portals.setRoom(bob, contact, null);
      assert.equal(await store.portals.withRoomCount(), 1, 'a portal whose room was left has no room');
      assert.equal(await store.portals.count(), 2);
    }));

  test(`${name}: message map both ways, parts in order, duplicates ignored`, async () =>
    await withStore(open, async (store) => {
      await store.portals.ensure(alice, contact);
      const base = { owner: alice, contact, remoteId: 'r1', sender: contact, roomId: '!a:x', timestamp: 10 };
      await store.messages.put({ ...base, part: 1, eventId: '$p1' });
      await store.messages.put({ ...base, part: 0, eventId: '$p0' });
      await store.messages.put({ ...base, part: 0, eventId: '$dupe' });
      assert.deepEqual((await store.messages.byRemoteId(alice, contact, 'r1')).map((m) => m.eventId), ['$p0', '$p1']);
      assert.equal((await store.messages.byEvent('!a:x', '$p1'))?.remoteId, 'r1');
      await store.messages.put({ ...base, remoteId: 'r2', part: 0, eventId: '$q', sender: alice, timestamp: 20 });
      assert.equal((await store.messages.latest(alice, contact))?.remoteId, 'r2');
      assert.equal((await store.messages.latest(alice, contact, contact))?.remoteId, 'r1');
      assert.equal(await store.messages.removeByRemoteId(alice, contact, 'r1'), 2);
    }));

  test(`${name}: reactions by event and by sender`, async () =>
    await withStore(open, async (store) => {
      await store.portals.ensure(alice, contact);
      const r = { owner: alice, contact, targetRemoteId: 'r1', sender: contact, roomId: '!a:x' };
      await store.reactions.put({ ...r, emoji: '👍', eventId: '$r1' });
      await store.reactions.put({ ...r, emoji: '❤️', eventId: '$r2' });
      assert.equal((await store.reactions.bySender(alice, contact, 'r1', contact)).length, 2);
      assert.equal((await store.reactions.byEvent('!a:x', '$r2'))?.emoji, '❤️');
      assert.equal(await store.reactions.remove('!a:x', '$r1'), true);
      assert.equal(await store.reactions.byEvent('!a:x', '$r1'), undefined);
    }));

  test(`${name}: outbox keeps order per portal, refuses replays, retries and fails`, async () =>
    await withStore(open, async (store) => {
      await store.portals.ensure(alice, contact);
      assert.equal(await store.outbox.enqueue(alice, contact, '$e1', { kind: 'text', n: 1 }), true);
      assert.equal(await store.outbox.enqueue(alice, contact, '$e2', { kind: 'text', n: 2 }), true);
      assert.equal(await store.outbox.enqueue(alice, contact, '$e1', { kind: 'text', n: 1 }), false);
      assert.deepEqual(await store.outbox.portalsWithPending(), [{ owner: alice, contact }]);
      const first = await store.outbox.nextFor(alice, contact);
      assert.deepEqual(first?.job, { kind: 'text', n: 1 });
      await store.outbox.retryLater(first!.id, 'network down', 12345);
      assert.equal((await store.outbox.get(first!.id))?.attempts, 1);
      assert.equal((await store.outbox.nextFor(alice, contact))?.id, first!.id, 'a retrying job still blocks the ones behind it');
      await store.outbox.markSent(first!.id);
      const second = await store.outbox.nextFor(alice, contact);
      assert.deepEqual(second?.job, { kind: 'text', n: 2 });
      assert.deepEqual((await store.outbox.get(first!.id))?.job, {}, 'a sent job keeps no content');
      await store.outbox.markFailed(second!.id, 'refused');
      assert.deepEqual((await store.outbox.get(second!.id))?.job, {}, 'a failed job keeps no content');
      assert.equal((await store.outbox.get(second!.id))?.state, 'failed');
      assert.equal(await store.outbox.nextFor(alice, contact), undefined);
      assert.deepEqual(await store.outbox.portalsWithPending(), []);
    }));

  test(`${name}: outbox depth and the age of its oldest pending job`, async () =>
    await withStore(open, async (store) => {
      await store.portals.ensure(alice, contact);
      assert.equal(await store.outbox.pendingCount(), 0);
      assert.equal(await store.outbox.oldestPendingAt(), undefined);
      const before = Date.now();
      await store.outbox.enqueue(alice, contact, '$o1', { n: 1 });
      await store.outbox.enqueue(alice, contact, '$o2', { n: 2 });
      const [first, second] = [(await store.outbox.nextFor(alice, contact))!, (await store.outbox.delayedUnreported(Date.now()))[1]];
      assert.equal(await store.outbox.pendingCount(), 2);
      assert.equal(await store.outbox.oldestPendingAt(), first.createdAt);
      assert.ok(first.createdAt >= before);
      await store.outbox.markSent(first.id);
      assert.equal(await store.outbox.oldestPendingAt(), second.createdAt, 'a sent job no longer counts');
      await store.outbox.markFailed(second.id, 'refused');
      assert.equal(await store.outbox.oldestPendingAt(), undefined, 'nor does a failed one');
      assert.equal(await store.outbox.pendingCount(), 0);
    }));

  test(`${name}: outbox remembers which pending jobs were shown as delayed`, async () =>
    await withStore(open, async (store) => {
      await store.portals.ensure(alice, contact);
      await store.outbox.enqueue(alice, contact, '$d1', { n: 1 });
      await store.outbox.enqueue(alice, contact, '$d2', { n: 2 });
      const [first, second] = await store.outbox.delayedUnreported(Date.now());
      assert.deepEqual([first?.sourceEventId, second?.sourceEventId], ['$d1', '$d2']);
      assert.equal(first.delayReported, false);
      assert.ok(first.createdAt <= Date.now());
      assert.deepEqual(await store.outbox.delayedUnreported(first.createdAt - 1), [], 'not yet due');
      await store.outbox.setDelayReported(first.id, true);
      assert.equal((await store.outbox.get(first.id))?.delayReported, true);
      assert.deepEqual((await store.outbox.delayedUnreported(Date.now())).map((j) => j.id), [second.id]);
      assert.equal(await store.outbox.oldestUnreported(), second.createdAt);
      await store.outbox.markSent(second.id);
      assert.equal(await store.outbox.oldestUnreported(), undefined, 'only pending jobs count');
      assert.deepEqual(await store.outbox.delayedUnreported(Date.now()), []);
    }));

  test(`${name}: contact security is observed, key changes clear verification, per user`, async () =>
    await withStore(open, async (store) => {
      assert.equal(await store.contacts.get(alice, contact), undefined);
      await store.contacts.observe(alice, contact, { provider: 'native', e2ee: true, bridged: false });
      await store.contacts.observe(alice, contact, {});
      await store.contacts.setFingerprint(alice, contact, 'aaa');
      await store.contacts.setVerified(alice, contact, true);
      let record = (await store.contacts.get(alice, contact))!;
      assert.deepEqual(
        { provider: record.provider, e2ee: record.e2ee, bridged: record.bridged, fp: record.identityFingerprint, verified: record.verified },
        { provider: 'native', e2ee: true, bridged: false, fp: 'aaa', verified: true },
      );
      record = await store.contacts.keyChanged(alice, contact, 'bbb');
      assert.equal(record.verified, false);
      assert.equal(record.identityFingerprint, 'bbb');
      assert.ok(record.keyChangedAt);
      assert.equal(await store.contacts.get(bob, contact), undefined, "bob's view of the contact is his own");
      await store.contacts.setVerified(alice, contact, true);
      assert.equal((await store.contacts.get(alice, contact))?.keyChangedAt, null);
    }));

  test(`${name}: an unencrypted-provider notice stays due until marked sent; each time seen has its own number`, async () =>
    await withStore(open, async (store) => {
      assert.equal(await store.contacts.unencryptedNoticeDue(alice, contact), undefined);
      assert.equal(await store.contacts.unencryptedSeen(alice, contact), 1);
      assert.equal(await store.contacts.unencryptedNoticeDue(alice, contact), 1);
      assert.equal(await store.contacts.unencryptedNoticeDue(alice, contact), 1, 'reading does not clear it');
      assert.equal(await store.contacts.unencryptedNoticeDue(bob, contact), undefined, 'per user');
      await store.contacts.unencryptedNoticed(alice, contact, 1);
      assert.equal(await store.contacts.unencryptedNoticeDue(alice, contact), undefined);
      assert.equal(await store.contacts.unencryptedSeen(alice, contact), 2);
      assert.equal(await store.contacts.unencryptedSeen(alice, contact), 3);
      assert.equal(await store.contacts.unencryptedNoticeDue(alice, contact), 3, 'the latest one');
      await store.contacts.unencryptedNoticed(alice, contact, 2);
      assert.equal(await store.contacts.unencryptedNoticeDue(alice, contact), 3, 'an older mark leaves a newer one due');
      await store.contacts.unencryptedNoticed(alice, contact, 3);
      await store.contacts.unencryptedNoticed(alice, contact, 1);
      assert.equal(await store.contacts.unencryptedNoticeDue(alice, contact), undefined, 'a late older mark does not reopen it');
    }));

  test(`${name}: held messages keep their order until released`, async () =>
    await withStore(open, async (store) => {
      await store.portals.ensure(alice, contact);
      const first = await store.held.hold(alice, contact, { n: 1 });
      await store.held.hold(alice, contact, { n: 2 });
      assert.equal(await store.held.count(alice, contact), 2);
      assert.deepEqual((await store.held.of(alice, contact)).map((h) => h.message), [{ n: 1 }, { n: 2 }]);
      await store.held.release(first);
      assert.deepEqual((await store.held.of(alice, contact)).map((h) => h.message), [{ n: 2 }]);
      await store.portals.setSecuritySummary(alice, contact, '{"v":1}');
      assert.equal((await store.portals.get(alice, contact))?.securitySummary, '{"v":1}');
    }));

  test(`${name}: a held remote message is held once, however often it is held`, async () =>
    await withStore(open, async (store) => {
      await store.portals.ensure(alice, contact);
      const first = await store.held.hold(alice, contact, { n: 1 }, 'r1');
      assert.equal(await store.held.hold(alice, contact, { n: 1 }, 'r1'), first);
      await store.held.hold(alice, contact, { n: 2 }, 'r2');
      assert.equal(await store.held.count(alice, contact), 2);
    }));

  test(`${name}: a portal room recorded before its setup is finished says so until it is`, async () =>
    await withStore(open, async (store) => {
      await store.portals.ensure(alice, contact);
      assert.equal((await store.portals.get(alice, contact))?.setupPending, false);
      await store.portals.setRoom(alice, contact, '!r:x', { setupPending: true });
      assert.equal((await store.portals.get(alice, contact))?.setupPending, true);
      assert.equal((await store.portals.get(alice, contact))?.roomId, '!r:x');
      await store.portals.setupDone(alice, contact);
      assert.equal((await store.portals.get(alice, contact))?.setupPending, false);
    }));

  test(`${name}: blocked numbers per user, added once, removed once, with the network's sync state`, async () =>
    await withStore(open, async (store) => {
      const other = '+14155552671';
      assert.equal(await store.blocks.add(alice, contact), true);
      assert.equal(await store.blocks.add(alice, contact), false, 'blocked already');
      await store.blocks.add(alice, other);
      assert.deepEqual((await store.blocks.list(alice)).map((b) => b.contact).sort(), [other, contact].sort());
      assert.equal(await store.blocks.count(alice), 2);
      assert.equal(await store.blocks.isBlocked(alice, contact), true);
      assert.equal(await store.blocks.isBlocked(bob, contact), false, "one user's block is not another's");
      assert.equal(await store.blocks.remove(alice, contact), true);
      assert.equal(await store.blocks.remove(alice, contact), false);
      assert.equal(await store.blocks.isBlocked(alice, contact), false);

      assert.equal(await store.blocks.syncState(alice), undefined);
      await store.blocks.setSyncState(alice, 'pending', 'gateway down', { pending: true });
      assert.deepEqual(await store.blocks.syncState(alice), { owner: alice, state: 'pending', detail: 'gateway down', toldPending: true, toldUnsupported: false });
      await store.blocks.setSyncState(alice, 'unsupported', null, { unsupported: true });
      assert.deepEqual(await store.blocks.syncState(alice), { owner: alice, state: 'unsupported', detail: null, toldPending: true, toldUnsupported: true }, 'flags left out are kept');
      await store.blocks.setSyncState(alice, 'network', null, { pending: false });
      assert.equal((await store.blocks.syncState(alice))?.toldPending, false);
      assert.equal((await store.blocks.syncState(alice))?.toldUnsupported, true);
      assert.equal(await store.blocks.syncState(bob), undefined);
    }));

  test(`${name}: atomically rolls back everything done through tx when fn rejects`, async () =>
    await withStore(open, async (store) => {
      await assert.rejects(
        store.atomically(async (tx) => {
          await tx.portals.ensure(alice, contact);
          await tx.blocks.add(alice, contact);
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal(await store.portals.get(alice, contact), undefined);
      assert.equal(await store.blocks.isBlocked(alice, contact), false);
    }));

  test(`${name}: atomically commits everything done through tx and returns fn's result`, async () =>
    await withStore(open, async (store) => {
      const result = await store.atomically(async (tx) => {
        await tx.portals.ensure(alice, contact);
        await tx.portals.setRoom(alice, contact, '!room:example.org');
        return (await tx.portals.get(alice, contact))?.roomId;
      });
      assert.equal(result, '!room:example.org');
      assert.equal((await store.portals.get(alice, contact))?.roomId, '!room:example.org');
    }));

  test(`${name}: a nested atomically that fails undoes its own part only`, async () =>
    await withStore(open, async (store) => {
      await store.atomically(async (tx) => {
        await tx.portals.ensure(alice, contact);
        await assert.rejects(
          tx.atomically(async (inner) => {
            await inner.blocks.add(alice, contact);
            throw new Error('inner boom');
          }),
          /inner boom/,
        );
        await tx.atomically(async (inner) => {
          await inner.ghosts.ensure(contact, '@wa_+4915112345678:example.org');
        });
      });
      assert.ok(await store.portals.get(alice, contact), 'the outer part landed');
      assert.ok(await store.ghosts.get(contact), 'the nested part that succeeded landed');
      assert.equal(await store.blocks.isBlocked(alice, contact), false, 'the nested part that failed did not');
    }));

  test(`${name}: a call made while a transaction is open is not rolled back with it`, async () =>
    await withStore(open, async (store) => {
      let inside!: () => void;
      const insideReached = new Promise<void>((resolve) => (inside = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const transaction = store.atomically(async (tx) => {
        await tx.portals.ensure(alice, contact);
        inside();
        await released;
        throw new Error('rolled back');
      });
      await insideReached;
      // made from outside while the transaction waits: it must not join it
      const outside = store.blocks.add(bob, contact);
      release();
      await assert.rejects(transaction, /rolled back/);
      assert.equal(await outside, true);
      assert.equal(await store.portals.get(alice, contact), undefined, 'the transaction rolled back');
      assert.equal(await store.blocks.isBlocked(bob, contact), true, 'the call from outside survived it');
    }));
}
