// TypingRelay: what of a phone's typing updates reaches the homeserver.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TypingRelay } from '../../../src/core/typing-relay';

function relay(opts: { refreshMs?: number; fail?: number; room?: boolean } = {}) {
  let now = 0;
  let failures = opts.fail ?? 0;
  const sent: boolean[] = [];
  const attempts: boolean[] = [];
  const warnings: string[] = [];
  let gate: Promise<void> = Promise.resolve();
  const r = new TypingRelay(async (_key, typing) => {
    await gate;
    attempts.push(typing);
    if (failures > 0) {
      failures -= 1;
      throw new Error('homeserver down');
    }
    if (opts.room === false) return false;
    sent.push(typing);
    return true;
  }, (m) => warnings.push(m), opts.refreshMs ?? 20_000, () => now);
  const hold = (p: Promise<void>) => {
    gate = p;
  };
  return { r, sent, attempts, warnings, tick: (ms: number) => (now += ms), hold };
}

test('the same state again within the refresh time is not sent; after it, it is', async () => {
  const { r, sent, tick } = relay();
  await r.update('sam', true);
  tick(5_000);
  await r.update('sam', true);
  tick(16_000);
  await r.update('sam', true);
  assert.deepEqual(sent, [true, true]);
});

test('updates that come while one is on its way collapse into the latest', async () => {
  const { r, sent, hold } = relay();
  let open!: () => void;
  hold(new Promise<void>((resolve) => (open = resolve)));
  const first = r.update('sam', true);
  const rest = [r.update('sam', false), r.update('sam', true), r.update('sam', false)];
  open();
  await Promise.all([first, ...rest]);
  assert.deepEqual(sent, [true, false]);
});

test('a failed send is reported and not retried; the next change goes out', async () => {
  const { r, sent, warnings } = relay({ fail: 1 });
  await r.update('sam', true);
  assert.deepEqual(warnings, ['homeserver down']);
  await r.update('sam', false);
  assert.deepEqual(sent, [false]);
});

test('with nowhere to show it (no room yet), nothing counts as sent: the next repeat is tried again', async () => {
  const { r, attempts } = relay({ room: false });
  await r.update('sam', true);
  await r.update('sam', true);
  assert.deepEqual(attempts, [true, true]);
});
