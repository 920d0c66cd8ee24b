// Stopping the core while an outbox send is in progress: the send finishes while its
// session is still up (a send cut off would leave the network unsure it arrived), the job is
// marked sent, and what was not started yet stays pending for the next start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCoreHarness } from '../../helpers/core-harness';
import { fromMatrix, text, waitFor } from '../../helpers/outbox-driver';
import type { E164 } from '../../../src/network/remote-network';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;

test('core.stop() lets the send in progress finish before sessions stop; the rest stays in the outbox', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  const portal = await h.core.portals.ensure(ALICE, SAM);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let entered = false;
  let disconnectedWhenDone: boolean | undefined;
  const send = session.send.bind(session);
  session.send = async (to, content) => {
    entered = true;
    await held;
    const result = await send(to, content);
    disconnectedWhenDone = session.disconnected;
    return result;
  };
  await fromMatrix(h, portal.roomId, ALICE, 'm.room.message', text('in flight at the stop'));
  await fromMatrix(h, portal.roomId, ALICE, 'm.room.message', text('queued behind it'));
  await waitFor('the first send to start', () => entered);
  const stopping = h.core.stop();
  await new Promise((r) => setTimeout(r, 50));
  release();
  await stopping;
  assert.equal(disconnectedWhenDone, false, 'the send finished before its session was stopped');
  assert.equal(session.sent.length, 1);
  assert.equal(await h.store.outbox.pendingCount(), 1, 'the message not started yet is kept');
});
