// EncryptedIntake with a stand-in for the crypto: which events it decrypts, with whose
// devices, what it hands on, and that an event it cannot decrypt is told in the room (once
// per event, the same transaction ID on a retry) instead of vanishing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EncryptedIntake } from '../../../src/matrix/encrypted-intake';
import type { Decryption } from '../../../src/matrix/crypto/room-encryption';
import type { MatrixEvent } from '../../../src/matrix/transaction-intake';

const BOT = '@bot:hs';
const GHOST = '@wa_+4915112345678:hs';
const OWNER = '@alice:hs';

function setUp(answer: Decryption) {
  const decrypted: { eventId: string; readers: string[] }[] = [];
  const devices: string[] = [];
  const notices: { roomId: string; content: Record<string, unknown>; txnId: string }[] = [];
  const logs: string[] = [];
  const intake = new EncryptedIntake({
    encryption: {
      decrypt: async (event, readers) => { decrypted.push({ eventId: event.event_id, readers }); return answer; },
      ensureDevice: async (userId) => { devices.push(userId); },
    },
    portalOf: async (roomId) => (roomId === '!portal:hs' ? { owner: OWNER, ghost: GHOST } : undefined),
    botUserId: BOT,
    sendNotice: async (roomId, content, txnId) => { notices.push({ roomId, content, txnId }); },
    log: { warn: (...parts) => logs.push(parts.join(' ')) },
  });
  return { intake, decrypted, devices, notices, logs };
}

const encrypted = (extra: Partial<MatrixEvent> = {}): MatrixEvent => ({
  type: 'm.room.encrypted', event_id: '$e1', room_id: '!portal:hs', sender: OWNER, origin_server_ts: 1,
  content: { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'xyz', session_id: 's' }, ...extra,
});

test("an encrypted event of the owner's is handed on decrypted, read with the ghost's device first, then the bot's", async () => {
  const s = setUp({ ok: true, type: 'm.room.message', content: { msgtype: 'm.text', body: 'secret hello' }, senderDevice: 'DEV' });
  const out = await s.intake.reveal(encrypted());
  assert.deepEqual(out, { ...encrypted(), type: 'm.room.message', content: { msgtype: 'm.text', body: 'secret hello' } });
  assert.deepEqual(s.decrypted, [{ eventId: '$e1', readers: [GHOST, BOT] }]);
  assert.deepEqual(s.notices, []);
});

test('an event that cannot be decrypted is logged without content and told in the room as a reply, with one transaction ID per event', async () => {
  const s = setUp({ ok: false, reason: 'MissingRoomKey' });
  assert.equal(await s.intake.reveal(encrypted()), undefined, 'nothing to hand on');
  assert.equal(await s.intake.reveal(encrypted()), undefined);
  assert.equal(s.notices.length, 2);
  assert.equal(s.notices[0].txnId, s.notices[1].txnId, 'a retry sends the same event');
  assert.equal(s.notices[0].roomId, '!portal:hs');
  assert.match(String(s.notices[0].content.body), /could not decrypt a message you sent[\s\S]*the key for it never reached the bridge/);
  assert.deepEqual(s.notices[0].content['m.relates_to'], { 'm.in_reply_to': { event_id: '$e1' } });
  assert.match(s.logs[0], /could not decrypt \$e1 in !portal:hs: MissingRoomKey/);
  assert.doesNotMatch(s.logs.join('\n'), /xyz/);
  const other = setUp({ ok: false, reason: 'MissingRoomKey' });
  await other.intake.reveal(encrypted({ event_id: '$e2' }));
  assert.notEqual(other.notices[0].txnId, s.notices[0].txnId);
});

test('other rooms, other senders and clear events pass untouched; turning encryption on makes the ghost a device', async () => {
  const s = setUp({ ok: true, type: 'm.room.message', content: {}, senderDevice: undefined });
  const elsewhere = encrypted({ room_id: '!management:hs' });
  assert.equal(await s.intake.reveal(elsewhere), elsewhere);
  const fromGhost = encrypted({ sender: GHOST });
  assert.equal(await s.intake.reveal(fromGhost), fromGhost);
  const clear: MatrixEvent = { type: 'm.room.message', event_id: '$c', room_id: '!portal:hs', sender: OWNER, content: { body: 'hi' } };
  assert.equal(await s.intake.reveal(clear), clear);
  assert.deepEqual(s.decrypted, []);
  const turnedOn: MatrixEvent = { type: 'm.room.encryption', event_id: '$s', room_id: '!portal:hs', sender: OWNER, state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } };
  assert.equal(await s.intake.reveal(turnedOn), turnedOn, 'core still sees it (notice, room state)');
  assert.deepEqual(s.devices, [GHOST]);
});

test('with a place to wait for keys: a missing key or message index waits there (not told); no bridge device in the room is told at once', async () => {
  for (const reason of ['MissingRoomKey', 'UnknownMessageIndex']) {
    const s = setUp({ ok: false, reason });
    const held: { eventId: string; reason: string }[] = [];
    const intake = new EncryptedIntake({
      encryption: { decrypt: async () => ({ ok: false, reason }), ensureDevice: async () => undefined },
      portalOf: async () => ({ owner: OWNER, ghost: GHOST }), botUserId: BOT,
      sendNotice: async (roomId, content, txnId) => { s.notices.push({ roomId, content, txnId }); },
      log: { warn: (...parts) => s.logs.push(parts.join(' ')) },
      awaitingKeys: { hold: async (event, why) => { held.push({ eventId: event.event_id, reason: why }); } },
    });
    assert.equal(await intake.reveal(encrypted()), undefined);
    assert.deepEqual(held, [{ eventId: '$e1', reason }]);
    assert.deepEqual(s.notices, [], `${reason}: not told yet`);
  }
  const noDevice = 'no bridge device was in the room to receive the key';
  const s = setUp({ ok: false, reason: noDevice });
  const intake = new EncryptedIntake({
    encryption: { decrypt: async () => ({ ok: false, reason: noDevice }), ensureDevice: async () => undefined },
    portalOf: async () => ({ owner: OWNER, ghost: GHOST }), botUserId: BOT,
    sendNotice: async (roomId, content, txnId) => { s.notices.push({ roomId, content, txnId }); },
    log: { warn: () => undefined },
    awaitingKeys: { hold: async () => assert.fail('a key cannot come to a device that does not exist') },
  });
  await intake.reveal(encrypted());
  assert.equal(s.notices.length, 1);
});
