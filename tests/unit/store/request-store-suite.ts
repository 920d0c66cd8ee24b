/** Shared cases for the message-request repository; every BridgeStore implementation runs them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alice, bob, withStore, type OpenStore } from './with-store';

const sam = '+4915112345678';
const uk = '+447700900123';

const request = (owner: string, contact: string, firstAt = 1) =>
  ({ owner, contact, provider: 'native', e2ee: true, encrypted: true, firstAt, notice: 'due' as const });

export function requestStoreSuite(name: string, open: OpenStore): void {
  test(`${name}: a request opens once, holds each remote message once and in order, and closes with what it held`, async () =>
    await withStore(open, async (store) => {
      assert.equal(await store.requests.get(alice, sam), undefined);
      await store.requests.open(request(alice, sam, 10));
      const again = await store.requests.open({ ...request(alice, sam, 20), provider: 'other' });
      assert.equal(again.firstAt, 10, 'an open request is kept as it was');
      assert.equal(again.provider, 'native');
      assert.equal(await store.requests.hold(alice, sam, 'm1', 'sealed-1'), true);
      assert.equal(await store.requests.hold(alice, sam, 'm2', 'sealed-2'), true);
      assert.equal(await store.requests.hold(alice, sam, 'm1', 'sealed-1 again'), false, 'held once per remote ID');
      assert.equal(await store.requests.isHeld(alice, sam, 'm1'), true);
      assert.equal(await store.requests.isHeld(bob, sam, 'm1'), false);
      assert.deepEqual((await store.requests.held(alice, sam)).map((m) => [m.remoteId, m.sealed]), [['m1', 'sealed-1'], ['m2', 'sealed-2']]);
      await store.requests.open(request(alice, uk, 30));
      await store.requests.hold(alice, uk, 'u1', 'sealed-u1');
      assert.equal(await store.requests.heldCount(alice, sam), 2);
      assert.equal(await store.requests.heldTotal(alice), 3);
      assert.deepEqual((await store.requests.list(alice)).map((r) => [r.contact, r.held]), [[sam, 2], [uk, 1]], 'oldest first');
      await store.requests.release((await store.requests.held(alice, sam))[0].id);
      assert.deepEqual((await store.requests.held(alice, sam)).map((m) => m.remoteId), ['m2']);
      await store.requests.setNotice(alice, sam, 'sent');
      await store.requests.countUnreadable(alice, sam);
      assert.equal((await store.requests.get(alice, sam))?.notice, 'sent');
      assert.equal((await store.requests.get(alice, sam))?.unreadable, 1);
      assert.equal(await store.requests.close(alice, sam), true);
      assert.equal(await store.requests.close(alice, sam), false);
      assert.deepEqual(await store.requests.held(alice, sam), [], 'closing deletes what it held');
      assert.equal(await store.requests.heldTotal(alice), 1);
    }));

  test(`${name}: drops are counted per number and a summary clears only what it reported`, async () =>
    await withStore(open, async (store) => {
      assert.equal(await store.requests.drops(alice), undefined);
      await store.requests.recordDrop(alice, sam);
      await store.requests.recordDrop(alice, sam);
      await store.requests.recordDrop(alice, uk);
      await store.requests.recordDrop(bob, uk);
      const drops = await store.requests.drops(alice);
      assert.equal(drops?.messages, 3);
      assert.equal(drops?.numbers, 2);
      assert.deepEqual(await store.requests.ownersWithDrops(), [alice, bob]);
      // one more drop lands between the summary's read and its clearing: it stays
      await store.requests.recordDrop(alice, sam);
      await store.requests.clearDrops(alice, drops!.byContact);
      const left = await store.requests.drops(alice);
      assert.equal(left?.messages, 1);
      assert.deepEqual([...left!.byContact], [[sam, 1]]);
      await store.requests.clearDrops(alice, left!.byContact);
      assert.equal(await store.requests.drops(alice), undefined);
      assert.deepEqual(await store.requests.ownersWithDrops(), [bob]);
    }));
}
