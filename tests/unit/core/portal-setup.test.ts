// Portal creation is idempotent: the room is recorded as soon as it exists, so a failure in a
// later step (bot join, m.direct) is finished by the retry instead of making a second room.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeSession, startCoreHarness } from '../../helpers/core-harness';
import type { E164 } from '../../../src/network/phone';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;

for (const step of ['ensureJoined', 'setDirectRooms', 'isEncrypted'] as const) {
  test(`${step} failing once while the portal is made: one room, every step done, the message bridged`, async (t) => {
    const h = await startCoreHarness();
    t.after(() => h.stop());
    const session = await h.login(ALICE, ALICE_PHONE);
    h.matrix.fail(step, 1);
    const delivery = await session.deliver(FakeSession.text(SAM, 'r1', 'hello'));
    assert.equal(delivery.acked(), 1);
    assert.equal(h.matrix.rooms.length, 1, 'one room');
    const portal = await h.store.portals.get(ALICE, SAM);
    assert.equal(portal?.roomId, '!room1:example.org');
    assert.equal(portal?.setupPending, false);
    assert.equal(h.matrix.count('setDirectRooms'), step === 'ensureJoined' ? 1 : 2, 'm.direct set (a failure is retried, not skipped; the step repeats safely)');
    const events = h.matrix.inRoom('!room1:example.org');
    assert.equal(events.filter((e) => e.asUser === h.matrix.botUserId).length, 1, 'one portal notice');
    assert.deepEqual(events.filter((e) => e.asUser !== h.matrix.botUserId).map((e) => e.content.body), ['hello']);
  });
}

for (const encryption of ['off', 'allow', 'default'] as const) {
  test(`security.encryption ${encryption}: new portals are created ${encryption === 'default' ? 'with' : 'without'} m.room.encryption (megolm) in their initial state`, async (t) => {
    const h = await startCoreHarness({ adjust: (c) => { c.security.encryption = encryption; } });
    t.after(() => h.stop());
    const session = await h.login(ALICE, ALICE_PHONE);
    await session.deliver(FakeSession.text(SAM, 'r1', 'hello'));
    const [room] = h.matrix.rooms;
    const state = room.initialState.find(([type]) => type === 'm.room.encryption');
    assert.deepEqual(state, encryption === 'default' ? ['m.room.encryption', '', { algorithm: 'm.megolm.v1.aes-sha2' }] : undefined);
  });
}
