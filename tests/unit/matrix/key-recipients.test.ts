/**
 * An encrypted room's key recipients are loaded from the homeserver once and then kept from
 * the member events of transactions: a join or invite adds, a leave, kick or ban removes; a
 * load that a member event overtook is used for its send but not kept; concurrent sends share
 * one load; a failed load is not kept either.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyRecipients } from '../../../src/matrix/key-recipients';

const ROOM = '!portal:example.org';
const member = (userId: string, membership: string, roomId = ROOM) => ({ type: 'm.room.member', room_id: roomId, state_key: userId, content: { membership } });

function counting(members: () => string[]) {
  const loads: string[] = [];
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  return {
    loads,
    hold() { gate = new Promise((r) => (release = r)); },
    release() { release?.(); gate = undefined; },
    load: async (roomId: string) => {
      loads.push(roomId);
      if (gate) await gate;
      return members();
    },
  };
}

test('loaded once, then kept current from member events', async () => {
  const hs = counting(() => ['@ghost:example.org', '@alice:example.org']);
  const recipients = new KeyRecipients(hs.load);
  assert.deepEqual(await recipients.of(ROOM), ['@ghost:example.org', '@alice:example.org']);
  assert.deepEqual(await recipients.of(ROOM), ['@ghost:example.org', '@alice:example.org']);
  assert.equal(hs.loads.length, 1, 'one GET /members per room');

  recipients.observe(member('@bob:example.org', 'invite'));
  recipients.observe(member('@alice:example.org', 'leave'));
  recipients.observe(member('@carol:example.org', 'join', '!other:example.org'));
  recipients.observe({ type: 'm.room.message', room_id: ROOM, content: {} });
  assert.deepEqual((await recipients.of(ROOM)).sort(), ['@bob:example.org', '@ghost:example.org']);
  recipients.observe(member('@bob:example.org', 'join'));
  recipients.observe(member('@ghost:example.org', 'ban'));
  assert.deepEqual(await recipients.of(ROOM), ['@bob:example.org']);
  assert.equal(hs.loads.length, 1);
});

test('a load overtaken by a member event serves its send and is loaded again next time; concurrent sends share it', async () => {
  let members = ['@ghost:example.org'];
  const hs = counting(() => members);
  const recipients = new KeyRecipients(hs.load);
  hs.hold();
  const first = recipients.of(ROOM);
  const second = recipients.of(ROOM);
  members = ['@ghost:example.org', '@alice:example.org'];
  recipients.observe(member('@alice:example.org', 'join'));
  hs.release();
  await Promise.all([first, second]);
  assert.equal(hs.loads.length, 1, 'the two sends shared one load');
  assert.deepEqual(await recipients.of(ROOM), ['@ghost:example.org', '@alice:example.org'], 'loaded again: the first load may predate the join');
  assert.equal(hs.loads.length, 2);
});

test('a failed load is thrown to its send and not kept', async () => {
  let fail = true;
  const recipients = new KeyRecipients(async () => {
    if (fail) throw new Error('the homeserver failed (502)');
    return ['@ghost:example.org'];
  });
  await assert.rejects(recipients.of(ROOM), /502/);
  fail = false;
  assert.deepEqual(await recipients.of(ROOM), ['@ghost:example.org']);
});
