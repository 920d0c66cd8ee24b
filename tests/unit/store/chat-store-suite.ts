/** Shared cases for the chat repositories; every BridgeStore implementation runs them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BridgeStore } from '../../../src/store';
import { alice, bob, withStore } from './with-store';

const contact = '+4915112345678';

export function chatStoreSuite(name: string, open: () => BridgeStore): void {
  test(`${name}: logins per user, each removed once`, () =>
    withStore(open, (store) => {
      store.logins.put(alice, contact, { deviceId: 3 });
      assert.deepEqual(store.logins.get(alice)?.state, { deviceId: 3 });
      assert.equal(store.logins.get(bob), undefined);
      assert.deepEqual(store.logins.all().map((l) => l.mxid), [alice]);
      assert.equal(store.logins.remove(alice), true);
      assert.equal(store.logins.remove(alice), false);
    }));

  test(`${name}: a login in progress per user: its progress replaced, its start kept, cleared`, () =>
    withStore(open, (store) => {
      store.users.ensure(alice);
      store.logins.setPending(alice, contact, { step: 'code', answers: { phone: contact } });
      const first = store.logins.getPending(alice)!;
      store.logins.setPending(alice, contact, { step: 'other' });
      const again = store.logins.getPending(alice)!;
      assert.deepEqual(again.progress, { step: 'other' });
      assert.equal(again.phone, contact);
      assert.equal(again.requestedAt, first.requestedAt);
      assert.equal(store.logins.getPending(bob), undefined);
      store.logins.clearPending(alice);
      assert.equal(store.logins.getPending(alice), undefined);
    }));

  test(`${name}: one ghost per phone, profile kept`, () =>
    withStore(open, (store) => {
      const ghost = store.ghosts.ensure(contact, '@wa_+4915112345678:example.org');
      assert.equal(ghost.displayName, null);
      store.ghosts.updateProfile(contact, { displayName: 'Carol', avatarRef: 'm1', avatarMxc: 'mxc://x/y' });
      const again = store.ghosts.ensure(contact, '@other:example.org');
      assert.equal(again.mxid, '@wa_+4915112345678:example.org');
      assert.equal(again.displayName, 'Carol');
      assert.ok(again.profileUpdatedAt);
      assert.equal(store.ghosts.count(), 1);
      store.ghosts.ensure('+14155552671', '@wa_+14155552671:example.org');
      assert.equal(store.ghosts.count(), 2);
    }));

  test(`${name}: portals are per (user, contact) and isolated between users`, () =>
    withStore(open, (store) => {
      store.portals.ensure(alice, contact);
      store.portals.ensure(bob, contact);
      store.portals.setRoom(alice, contact, '!a:x');
      store.portals.setRoom(bob, contact, '!b:x');
      assert.equal(store.portals.byRoom('!a:x')?.owner, alice);
      assert.equal(store.portals.byRoom('!b:x')?.owner, bob);
      assert.deepEqual(store.portals.ofOwner(alice).map((p) => p.roomId), ['!a:x']);
      assert.deepEqual(store.portals.ofContact(contact).map((p) => p.owner).sort(), [alice, bob].sort());
      store.portals.setEncrypted(alice, contact, true);
      assert.equal(store.portals.get(alice, contact)?.encrypted, true);
      assert.equal(store.portals.get(bob, contact)?.encrypted, false);
      assert.equal(store.portals.count(), 2);
      assert.equal(store.portals.withRoomCount(), 2);
      store.portals.setRoom(bob, contact, null);
      assert.equal(store.portals.withRoomCount(), 1, 'a portal whose room was left has no room');
      assert.equal(store.portals.count(), 2);
    }));

  test(`${name}: message map both ways, parts in order, duplicates ignored`, () =>
    withStore(open, (store) => {
      store.portals.ensure(alice, contact);
      const base = { owner: alice, contact, remoteId: 'r1', sender: contact, roomId: '!a:x', timestamp: 10 };
      store.messages.put({ ...base, part: 1, eventId: '$p1' });
      store.messages.put({ ...base, part: 0, eventId: '$p0' });
      store.messages.put({ ...base, part: 0, eventId: '$dupe' });
      assert.deepEqual(store.messages.byRemoteId(alice, contact, 'r1').map((m) => m.eventId), ['$p0', '$p1']);
      assert.equal(store.messages.byEvent('!a:x', '$p1')?.remoteId, 'r1');
      store.messages.put({ ...base, remoteId: 'r2', part: 0, eventId: '$q', sender: alice, timestamp: 20 });
      assert.equal(store.messages.latest(alice, contact)?.remoteId, 'r2');
      assert.equal(store.messages.latest(alice, contact, contact)?.remoteId, 'r1');
      assert.equal(store.messages.removeByRemoteId(alice, contact, 'r1'), 2);
    }));

  test(`${name}: reactions by event and by sender`, () =>
    withStore(open, (store) => {
      store.portals.ensure(alice, contact);
      const r = { owner: alice, contact, targetRemoteId: 'r1', sender: contact, roomId: '!a:x' };
      store.reactions.put({ ...r, emoji: '👍', eventId: '$r1' });
      store.reactions.put({ ...r, emoji: '❤️', eventId: '$r2' });
      assert.equal(store.reactions.bySender(alice, contact, 'r1', contact).length, 2);
      assert.equal(store.reactions.byEvent('!a:x', '$r2')?.emoji, '❤️');
      assert.equal(store.reactions.remove('!a:x', '$r1'), true);
      assert.equal(store.reactions.byEvent('!a:x', '$r1'), undefined);
    }));

  test(`${name}: outbox keeps order per portal, refuses replays, retries and fails`, () =>
    withStore(open, (store) => {
      store.portals.ensure(alice, contact);
      assert.equal(store.outbox.enqueue(alice, contact, '$e1', { kind: 'text', n: 1 }), true);
      assert.equal(store.outbox.enqueue(alice, contact, '$e2', { kind: 'text', n: 2 }), true);
      assert.equal(store.outbox.enqueue(alice, contact, '$e1', { kind: 'text', n: 1 }), false);
      assert.deepEqual(store.outbox.portalsWithPending(), [{ owner: alice, contact }]);
      const first = store.outbox.nextFor(alice, contact);
      assert.deepEqual(first?.job, { kind: 'text', n: 1 });
      store.outbox.retryLater(first!.id, 'network down', 12345);
      assert.equal(store.outbox.get(first!.id)?.attempts, 1);
      assert.equal(store.outbox.nextFor(alice, contact)?.id, first!.id, 'a retrying job still blocks the ones behind it');
      store.outbox.markSent(first!.id);
      const second = store.outbox.nextFor(alice, contact);
      assert.deepEqual(second?.job, { kind: 'text', n: 2 });
      assert.deepEqual(store.outbox.get(first!.id)?.job, {}, 'a sent job keeps no content');
      store.outbox.markFailed(second!.id, 'refused');
      assert.deepEqual(store.outbox.get(second!.id)?.job, {}, 'a failed job keeps no content');
      assert.equal(store.outbox.get(second!.id)?.state, 'failed');
      assert.equal(store.outbox.nextFor(alice, contact), undefined);
      assert.deepEqual(store.outbox.portalsWithPending(), []);
    }));

  test(`${name}: outbox depth and the age of its oldest pending job`, () =>
    withStore(open, (store) => {
      store.portals.ensure(alice, contact);
      assert.equal(store.outbox.pendingCount(), 0);
      assert.equal(store.outbox.oldestPendingAt(), undefined);
      const before = Date.now();
      store.outbox.enqueue(alice, contact, '$o1', { n: 1 });
      store.outbox.enqueue(alice, contact, '$o2', { n: 2 });
      const [first, second] = [store.outbox.nextFor(alice, contact)!, store.outbox.delayedUnreported(Date.now())[1]];
      assert.equal(store.outbox.pendingCount(), 2);
      assert.equal(store.outbox.oldestPendingAt(), first.createdAt);
      assert.ok(first.createdAt >= before);
      store.outbox.markSent(first.id);
      assert.equal(store.outbox.oldestPendingAt(), second.createdAt, 'a sent job no longer counts');
      store.outbox.markFailed(second.id, 'refused');
      assert.equal(store.outbox.oldestPendingAt(), undefined, 'nor does a failed one');
      assert.equal(store.outbox.pendingCount(), 0);
    }));

  test(`${name}: outbox remembers which pending jobs were shown as delayed`, () =>
    withStore(open, (store) => {
      store.portals.ensure(alice, contact);
      store.outbox.enqueue(alice, contact, '$d1', { n: 1 });
      store.outbox.enqueue(alice, contact, '$d2', { n: 2 });
      const [first, second] = store.outbox.delayedUnreported(Date.now());
      assert.deepEqual([first?.sourceEventId, second?.sourceEventId], ['$d1', '$d2']);
      assert.equal(first.delayReported, false);
      assert.ok(first.createdAt <= Date.now());
      assert.deepEqual(store.outbox.delayedUnreported(first.createdAt - 1), [], 'not yet due');
      store.outbox.setDelayReported(first.id, true);
      assert.equal(store.outbox.get(first.id)?.delayReported, true);
      assert.deepEqual(store.outbox.delayedUnreported(Date.now()).map((j) => j.id), [second.id]);
      assert.equal(store.outbox.oldestUnreported(), second.createdAt);
      store.outbox.markSent(second.id);
      assert.equal(store.outbox.oldestUnreported(), undefined, 'only pending jobs count');
      assert.deepEqual(store.outbox.delayedUnreported(Date.now()), []);
    }));

  test(`${name}: contact security is observed, key changes clear verification, per user`, () =>
    withStore(open, (store) => {
      assert.equal(store.contacts.get(alice, contact), undefined);
      store.contacts.observe(alice, contact, { provider: 'native', e2ee: true, bridged: false });
      store.contacts.observe(alice, contact, {});
      store.contacts.setFingerprint(alice, contact, 'aaa');
      store.contacts.setVerified(alice, contact, true);
      let record = store.contacts.get(alice, contact)!;
      assert.deepEqual(
        { provider: record.provider, e2ee: record.e2ee, bridged: record.bridged, fp: record.identityFingerprint, verified: record.verified },
        { provider: 'native', e2ee: true, bridged: false, fp: 'aaa', verified: true },
      );
      record = store.contacts.keyChanged(alice, contact, 'bbb');
      assert.equal(record.verified, false);
      assert.equal(record.identityFingerprint, 'bbb');
      assert.ok(record.keyChangedAt);
      assert.equal(store.contacts.get(bob, contact), undefined, "bob's view of the contact is his own");
      store.contacts.setVerified(alice, contact, true);
      assert.equal(store.contacts.get(alice, contact)?.keyChangedAt, null);
    }));

  test(`${name}: an unencrypted-provider notice stays due until marked sent; each time seen has its own number`, () =>
    withStore(open, (store) => {
      assert.equal(store.contacts.unencryptedNoticeDue(alice, contact), undefined);
      assert.equal(store.contacts.unencryptedSeen(alice, contact), 1);
      assert.equal(store.contacts.unencryptedNoticeDue(alice, contact), 1);
      assert.equal(store.contacts.unencryptedNoticeDue(alice, contact), 1, 'reading does not clear it');
      assert.equal(store.contacts.unencryptedNoticeDue(bob, contact), undefined, 'per user');
      store.contacts.unencryptedNoticed(alice, contact, 1);
      assert.equal(store.contacts.unencryptedNoticeDue(alice, contact), undefined);
      assert.equal(store.contacts.unencryptedSeen(alice, contact), 2);
      assert.equal(store.contacts.unencryptedSeen(alice, contact), 3);
      assert.equal(store.contacts.unencryptedNoticeDue(alice, contact), 3, 'the latest one');
      store.contacts.unencryptedNoticed(alice, contact, 2);
      assert.equal(store.contacts.unencryptedNoticeDue(alice, contact), 3, 'an older mark leaves a newer one due');
      store.contacts.unencryptedNoticed(alice, contact, 3);
      store.contacts.unencryptedNoticed(alice, contact, 1);
      assert.equal(store.contacts.unencryptedNoticeDue(alice, contact), undefined, 'a late older mark does not reopen it');
    }));

  test(`${name}: held messages keep their order until released`, () =>
    withStore(open, (store) => {
      store.portals.ensure(alice, contact);
      const first = store.held.hold(alice, contact, { n: 1 });
      store.held.hold(alice, contact, { n: 2 });
      assert.equal(store.held.count(alice, contact), 2);
      assert.deepEqual(store.held.of(alice, contact).map((h) => h.message), [{ n: 1 }, { n: 2 }]);
      store.held.release(first);
      assert.deepEqual(store.held.of(alice, contact).map((h) => h.message), [{ n: 2 }]);
      store.portals.setSecuritySummary(alice, contact, '{"v":1}');
      assert.equal(store.portals.get(alice, contact)?.securitySummary, '{"v":1}');
    }));

  test(`${name}: a held remote message is held once, however often it is held`, () =>
    withStore(open, (store) => {
      store.portals.ensure(alice, contact);
      const first = store.held.hold(alice, contact, { n: 1 }, 'r1');
      assert.equal(store.held.hold(alice, contact, { n: 1 }, 'r1'), first);
      store.held.hold(alice, contact, { n: 2 }, 'r2');
      assert.equal(store.held.count(alice, contact), 2);
    }));

  test(`${name}: a portal room recorded before its setup is finished says so until it is`, () =>
    withStore(open, (store) => {
      store.portals.ensure(alice, contact);
      assert.equal(store.portals.get(alice, contact)?.setupPending, false);
      store.portals.setRoom(alice, contact, '!r:x', { setupPending: true });
      assert.equal(store.portals.get(alice, contact)?.setupPending, true);
      assert.equal(store.portals.get(alice, contact)?.roomId, '!r:x');
      store.portals.setupDone(alice, contact);
      assert.equal(store.portals.get(alice, contact)?.setupPending, false);
    }));

  test(`${name}: blocked numbers per user, added once, removed once, with the network's sync state`, () =>
    withStore(open, (store) => {
      const other = '+14155552671';
      assert.equal(store.blocks.add(alice, contact), true);
      assert.equal(store.blocks.add(alice, contact), false, 'blocked already');
      store.blocks.add(alice, other);
      assert.deepEqual(store.blocks.list(alice).map((b) => b.contact).sort(), [other, contact].sort());
      assert.equal(store.blocks.count(alice), 2);
      assert.equal(store.blocks.isBlocked(alice, contact), true);
      assert.equal(store.blocks.isBlocked(bob, contact), false, "one user's block is not another's");
      assert.equal(store.blocks.remove(alice, contact), true);
      assert.equal(store.blocks.remove(alice, contact), false);
      assert.equal(store.blocks.isBlocked(alice, contact), false);

      assert.equal(store.blocks.syncState(alice), undefined);
      store.blocks.setSyncState(alice, 'pending', 'gateway down', { pending: true });
      assert.deepEqual(store.blocks.syncState(alice), { owner: alice, state: 'pending', detail: 'gateway down', toldPending: true, toldUnsupported: false });
      store.blocks.setSyncState(alice, 'unsupported', null, { unsupported: true });
      assert.deepEqual(store.blocks.syncState(alice), { owner: alice, state: 'unsupported', detail: null, toldPending: true, toldUnsupported: true }, 'flags left out are kept');
      store.blocks.setSyncState(alice, 'network', null, { pending: false });
      assert.equal(store.blocks.syncState(alice)?.toldPending, false);
      assert.equal(store.blocks.syncState(alice)?.toldUnsupported, true);
      assert.equal(store.blocks.syncState(bob), undefined);
    }));

  test(`${name}: atomically rolls back every write when one fails`, () =>
    withStore(open, (store) => {
      assert.throws(() =>
        store.atomically(() => {
          store.portals.ensure(alice, contact);
          throw new Error('boom');
        }),
      );
      assert.equal(store.portals.get(alice, contact), undefined);
    }));
}
