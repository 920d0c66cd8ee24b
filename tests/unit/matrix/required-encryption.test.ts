// security.encryption: require on the way in: an event that came unencrypted into a portal is
// not handed on and its sender is told in a reply, once per event (a retried transaction
// sends the same transaction ID); what is never encrypted (state, redactions) and what the
// bridge's own users send pass. The owner learns in the management room, once per room, that
// encryption could not be turned on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EncryptionRequirement, type EncryptionRequirementOptions } from '../../../src/matrix/required-encryption';
import { MatrixRefusedError } from '../../../src/core/errors';

const PORTAL = '!portal:hs';

function requirement(sendFails?: Error | (() => Error | undefined)) {
  const notices: { roomId: string; body: unknown; txnId?: string; replyTo?: unknown }[] = [];
  const warnings: string[] = [];
  const options: EncryptionRequirementOptions = {
    ownerOf: async (roomId) => (roomId === PORTAL ? '@alice:hs' : undefined),
    managementRoomOf: async () => '!manage:hs',
    isBridgeUser: (mxid) => mxid.startsWith('@wa_') || mxid === '@bot:hs',
    sendNotice: async (roomId, content, txnId) => {
      const relates = content['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined;
      const failure = typeof sendFails === 'function' ? sendFails() : sendFails;
      if (failure) throw failure;
      notices.push({ roomId, body: content.body, txnId, replyTo: relates?.['m.in_reply_to']?.event_id });
    },
    log: { warn: (...parts) => warnings.push(parts.join(' ')) },
  };
  return { req: new EncryptionRequirement(options), notices, warnings };
}

test('a plaintext message in a portal is refused and its sender told in a reply; the same event gets the same notice', async () => {
  const { req, notices } = requirement();
  const event = { type: 'm.room.message', event_id: '$plain', room_id: PORTAL, sender: '@alice:hs', content: { body: 'hi' } };
  assert.equal(await req.refusesPlaintext(event), true);
  assert.equal(await req.refusesPlaintext(event), true);
  assert.equal(notices.length, 2);
  assert.equal(notices[0].roomId, PORTAL);
  assert.equal(notices[0].replyTo, '$plain');
  assert.match(String(notices[0].body), /not delivered: this bridge accepts only encrypted messages/);
  assert.equal(notices[0].txnId, notices[1].txnId, 'one transaction ID per event: the homeserver keeps one notice');
});

test('encrypted events, state, redactions, the bridge\'s own users and rooms that are not portals pass', async () => {
  const { req, notices } = requirement();
  const base = { event_id: '$e', room_id: PORTAL, sender: '@alice:hs', content: {} };
  assert.equal(await req.refusesPlaintext({ ...base, type: 'm.room.encrypted' }), false);
  assert.equal(await req.refusesPlaintext({ ...base, type: 'm.room.redaction' }), false);
  assert.equal(await req.refusesPlaintext({ ...base, type: 'm.room.member', state_key: '@alice:hs' }), false);
  assert.equal(await req.refusesPlaintext({ ...base, type: 'm.room.message', sender: '@wa_+1:hs' }), false);
  assert.equal(await req.refusesPlaintext({ ...base, type: 'm.room.message', room_id: '!elsewhere:hs' }), false);
  assert.deepEqual(notices, []);
});

test('the owner is told once per room, in the management room, that encryption could not be turned on', async () => {
  const { req, notices } = requirement();
  await req.cannotEncrypt(PORTAL, new Error('forbidden'));
  await req.cannotEncrypt(PORTAL, new Error('forbidden'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(notices.map((n) => n.roomId), ['!manage:hs']);
  assert.match(String(notices[0].body), /could not turn encryption on/);
});

test('an owner who could not be told (the management room unreachable) is told on the next attempt', async () => {
  let down = true;
  const { req, notices, warnings } = requirement(() => (down ? new Error('connect ECONNREFUSED') : undefined));
  await req.cannotEncrypt(PORTAL, new Error('forbidden'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(notices.length, 0);
  assert.ok(warnings.some((w) => w.includes('could not be told')));
  down = false;
  await req.cannotEncrypt(PORTAL, new Error('forbidden'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(notices.map((n) => n.roomId), ['!manage:hs'], 'told once it could be');
});

test('a refused notice (encryption cannot be turned on there) does not fail the transaction forever; an outage does', async () => {
  const event = { type: 'm.room.message', event_id: '$plain', room_id: PORTAL, sender: '@alice:hs', content: { body: 'hi' } };
  const refused = requirement(new MatrixRefusedError('the homeserver refused it (403 M_FORBIDDEN)', 403, 'M_FORBIDDEN'));
  assert.equal(await refused.req.refusesPlaintext(event), true, 'still not bridged');
  assert.ok(refused.warnings.some((w) => w.includes('could not be told')));
  const outage = requirement(new Error('connect ECONNREFUSED'));
  await assert.rejects(outage.req.refusesPlaintext(event), /ECONNREFUSED/, 'retried with the transaction');
});
