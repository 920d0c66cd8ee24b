/** Shared cases for the provider repository; every BridgeStore implementation runs them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BridgeStore } from '../../../src/store';
import { alice, bob, withStore } from './with-store';


export function providerStoreSuite(name: string, open: () => BridgeStore): void {
  test(`${name}: a provider choice is stored per user, replaced by the next one, and absent until made`, () =>
    withStore(open, (store) => {
      assert.equal(store.providers.choice(alice, 'plainchat'), undefined);
      store.providers.setChoice(alice, 'plainchat', false);
      store.providers.setChoice(alice, 'native', true);
      assert.equal(store.providers.choice(alice, 'plainchat'), false);
      store.providers.setChoice(alice, 'plainchat', true);
      assert.equal(store.providers.choice(alice, 'plainchat'), true, 'replaced');
      assert.deepEqual([...store.providers.choices(alice)], [['native', true], ['plainchat', true]]);
      assert.equal(store.providers.choice(bob, 'plainchat'), undefined, "another user's choice is their own");
    }));

  test(`${name}: drops are counted per provider, a summary clears what it reported and is remembered`, () =>
    withStore(open, (store) => {
      assert.equal(store.providers.drops(alice), undefined);
      assert.equal(store.providers.lastSummaryAt(alice), undefined);
      store.providers.recordDrop(alice, 'plainchat', false);
      store.providers.recordDrop(alice, 'plainchat', false);
      store.providers.recordDrop(alice, 'other', true);
      store.providers.recordDrop(bob, 'plainchat', false);
      const drops = store.providers.drops(alice);
      assert.equal(drops?.messages, 3);
      assert.deepEqual([...(drops?.byProvider ?? [])], [['other', 1], ['plainchat', 2]]);
      assert.deepEqual(store.providers.ownersWithDrops(), [alice, bob]);
      // one more arrives while the summary is being sent: it stays for the next one
      store.providers.recordDrop(alice, 'plainchat', false);
      store.providers.clearDrops(alice, drops?.byProvider ?? new Map(), 1234);
      assert.equal(store.providers.lastSummaryAt(alice), 1234);
      assert.deepEqual([...(store.providers.drops(alice)?.byProvider ?? [])], [['plainchat', 1]]);
      store.providers.clearDrops(alice, new Map([['plainchat', 1]]), 5678);
      assert.equal(store.providers.drops(alice), undefined);
      assert.equal(store.providers.lastSummaryAt(alice), 5678);
      assert.deepEqual(store.providers.ownersWithDrops(), [bob]);
    }));

  test(`${name}: the providers seen for a user come from their contacts, message requests and drops`, () =>
    withStore(open, (store) => {
      store.contacts.observe(alice, '+4915112345678', { provider: 'native', e2ee: true });
      store.providers.recordDrop(alice, 'plainchat', false);
      store.requests.open({ owner: alice, contact: '+14155552671', provider: 'third', e2ee: false, encrypted: false, firstAt: 1, notice: 'due' });
      store.requests.open({ owner: alice, contact: '+14155552672', provider: 'unknown', e2ee: false, encrypted: false, firstAt: 1, notice: 'due' });
      store.contacts.observe(bob, '+447700900123', { provider: 'other', e2ee: true });
      assert.deepEqual([...store.providers.seen(alice)].sort(), [['native', true], ['plainchat', false], ['third', false]]);
      store.providers.clearDrops(alice, new Map([['plainchat', 1]]), 1);
      assert.equal(store.providers.seen(alice).get('plainchat'), false, 'still seen after its drops were summarised');
    }));
}
