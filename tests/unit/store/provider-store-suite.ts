/** Shared cases for the provider repository; every BridgeStore implementation runs them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alice, bob, withStore, type OpenStore } from './with-store';


export function providerStoreSuite(name: string, open: OpenStore): void {
  test(`${name}: a provider choice is stored per user, replaced by the next one, and absent until made`, async () =>
    await withStore(open, async (store) => {
      assert.equal(await store.providers.choice(alice, 'plainchat'), undefined);
      await store.providers.setChoice(alice, 'plainchat', false);
      await store.providers.setChoice(alice, 'native', true);
      assert.equal(await store.providers.choice(alice, 'plainchat'), false);
      await store.providers.setChoice(alice, 'plainchat', true);
      assert.equal(await store.providers.choice(alice, 'plainchat'), true, 'replaced');
      assert.deepEqual([...await store.providers.choices(alice)], [['native', true], ['plainchat', true]]);
      assert.equal(await store.providers.choice(bob, 'plainchat'), undefined, "another user's choice is their own");
    }));

  test(`${name}: drops are counted per provider, a summary clears what it reported and is remembered`, async () =>
    await withStore(open, async (store) => {
      assert.equal(await store.providers.drops(alice), undefined);
      assert.equal(await store.providers.lastSummaryAt(alice), undefined);
      await store.providers.recordDrop(alice, 'plainchat', false);
      await store.providers.recordDrop(alice, 'plainchat', false);
      await store.providers.recordDrop(alice, 'other', true);
      await store.providers.recordDrop(bob, 'plainchat', false);
      const drops = await store.providers.drops(alice);
      assert.equal(drops?.messages, 3);
      assert.deepEqual([...(drops?.byProvider ?? [])], [['other', 1], ['plainchat', 2]]);
      assert.deepEqual(await store.providers.ownersWithDrops(), [alice, bob]);
      // one more arrives while the summary is being sent: it stays for the next one
      await store.providers.recordDrop(alice, 'plainchat', false);
      await store.providers.clearDrops(alice, drops?.byProvider ?? new Map(), 1234);
      assert.equal(await store.providers.lastSummaryAt(alice), 1234);
      assert.deepEqual([...((await store.providers.drops(alice))?.byProvider ?? [])], [['plainchat', 1]]);
      await store.providers.clearDrops(alice, new Map([['plainchat', 1]]), 5678);
      assert.equal(await store.providers.drops(alice), undefined);
      assert.equal(await store.providers.lastSummaryAt(alice), 5678);
      assert.deepEqual(await store.providers.ownersWithDrops(), [bob]);
    }));

  test(`${name}: the providers seen for a user come from their contacts, message requests and drops`, async () =>
    await withStore(open, async (store) => {
      await store.contacts.observe(alice, '+4915112345678', { provider: 'native', e2ee: true });
      await store.providers.recordDrop(alice, 'plainchat', false);
      await store.requests.open({ owner: alice, contact: '+14155552671', provider: 'third', e2ee: false, encrypted: false, firstAt: 1, notice: 'due' });
      await store.requests.open({ owner: alice, contact: '+14155552672', provider: 'unknown', e2ee: false, encrypted: false, firstAt: 1, notice: 'due' });
      await store.contacts.observe(bob, '+447700900123', { provider: 'other', e2ee: true });
      assert.deepEqual([...await store.providers.seen(alice)].sort(), [['native', true], ['plainchat', false], ['third', false]]);
      await store.providers.clearDrops(alice, new Map([['plainchat', 1]]), 1);
      assert.equal((await store.providers.seen(alice)).get('plainchat'), false, 'still seen after its drops were summarised');
    }));
}
