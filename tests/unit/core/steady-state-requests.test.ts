// Homeserver work per bridged remote message once the portal exists (issue 13 item 2): a text
// message costs exactly one Matrix request, the ghost's send. Profile, membership, room state
// and registration are answered from the store. A guard: it passes on main (measured, nothing
// extra was found) and fails if a per-message request creeps in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeSession, startCoreHarness } from '../../helpers/core-harness';
import type { E164 } from '../../../src/network/phone';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;

test('steady state: each remote text message is one Matrix request, the ghost send', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'm0', 'first: makes the portal'));
  const before = h.matrix.calls.length;
  for (let i = 1; i <= 5; i++) await session.deliver(FakeSession.text(SAM, `m${i}`, `text ${i}`));
  const calls = h.matrix.calls.slice(before).map(([method, args]) => `${method} ${String(args[0])}`);
  const ghost = h.matrix.ghostUserId(SAM);
  assert.deepEqual(calls, Array(5).fill(`sendEvent ${ghost}`));
});
