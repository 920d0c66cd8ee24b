// ArrivalOrder: a contact's lookups are acted on in the order the events came, even when a
// later lookup would finish first; other contacts do not wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArrivalOrder } from '../../../src/core/arrival-order';

/** a lookup that answers when told to */
function pending<T>(): { promise: () => Promise<T>; answer: (value: T) => void; started: () => boolean } {
  let answer!: (value: T) => void;
  let started = false;
  const promise = new Promise<T>((resolve) => (answer = resolve));
  return { promise: () => ((started = true), promise), answer, started: () => started };
}

test('a later lookup that would finish first is acted on after the earlier one', async () => {
  const order = new ArrivalOrder();
  const acted: string[] = [];
  const slow = pending<string>();
  const first = order.lookup('+1', slow.promise).then((v) => acted.push(v));
  const second = order.lookup('+1', async () => 'second').then((v) => acted.push(v));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(acted, [], 'the second waits for the first');
  slow.answer('first');
  await Promise.all([first, second]);
  assert.deepEqual(acted, ['first', 'second']);
});

test('the next lookup starts only after the previous answer was acted on', async () => {
  const order = new ArrivalOrder();
  const steps: string[] = [];
  const first = order.lookup('+1', async () => steps.push('lookup 1')).then(() => steps.push('act 1'));
  const second = order.lookup('+1', async () => steps.push('lookup 2')).then(() => steps.push('act 2'));
  await Promise.all([first, second]);
  assert.deepEqual(steps, ['lookup 1', 'act 1', 'lookup 2', 'act 2']);
});

test('another contact does not wait, and a failed lookup does not stop the line', async () => {
  const order = new ArrivalOrder();
  const slow = pending<string>();
  const held = order.lookup('+1', slow.promise);
  assert.equal(await order.lookup('+2', async () => 'other'), 'other');
  const failed = order.lookup('+1', async () => { throw new Error('store down'); });
  const after = order.lookup('+1', async () => 'after');
  slow.answer('first');
  assert.equal(await held, 'first');
  await assert.rejects(failed, /store down/);
  assert.equal(await after, 'after');
});
