// Turning on encryption in a portal is handled again when the homeserver retries the
// transaction (a failure answers 500): a failed notice or state update must not leave the
// room state saying "unencrypted" for good, as it did when the first attempt already
// recorded the room as encrypted and every retry returned early.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeSession, httpError, startCoreHarness } from '../../helpers/core-harness';
import type { E164 } from '../../../src/network/phone';
import { SECURITY_STATE_TYPE } from '../../../src/security';

const ALICE = '@alice:example.org';
const SAM = '+14155552671' as E164;

test('encryption turned on: a failed notice or state write is done on the retry, the notice sent once', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, '+4915112345678' as E164);
  await session.deliver(FakeSession.text(SAM, 'r1', 'hello'));
  const roomId = (await h.store.portals.get(ALICE, SAM))?.roomId as string;
  const encryption = {
    type: 'm.room.encryption', state_key: '', event_id: '$enc', room_id: roomId, sender: ALICE,
    content: { algorithm: 'm.megolm.v1.aes-sha2' }, origin_server_ts: Date.now(),
  };
  const published = () => h.matrix.calls
    .filter(([m, args]) => m === 'setState' && args[2] === SECURITY_STATE_TYPE)
    .map(([, args]) => (args[4] as { matrix_room_encrypted: boolean }).matrix_room_encrypted);
  const notices = () => h.matrix.inRoom(roomId).filter((e) => String(e.content.body).includes('Encryption was turned on')).length;

  h.matrix.fail('sendEvent', 1, () => httpError(502));
  await assert.rejects(h.core.matrixIntake.onEvent(encryption), /502/);
  h.matrix.fail('setState', 1, () => httpError(502));
  await assert.rejects(h.core.matrixIntake.onEvent(encryption), /502/, 'the retry reaches the state update');
  await h.core.matrixIntake.onEvent(encryption);
  assert.equal(published().at(-1), true, 'the room state says encrypted');
  const sent = notices();
  assert.ok(sent >= 1, 'the notice went out');
  await h.core.matrixIntake.onEvent(encryption);
  assert.equal(notices(), sent, 'once the state is published, a retry sends nothing more');
});
