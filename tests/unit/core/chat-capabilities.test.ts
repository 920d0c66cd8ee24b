// A chat that cannot carry edits, reactions or media (the connector's ChatCapabilities): core
// refuses those before sending and tells the room why; everything else still goes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromMatrix, ownerWithPortal, text, waitFor } from '../../helpers/outbox-driver';
import type { E164 } from '../../../src/network/remote-network';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;

const setUp = (t: { after: (fn: () => Promise<void>) => void }) => ownerWithPortal(t, ALICE, ALICE_PHONE, SAM);

test('a chat without edits: the edit is not sent and the room is told; the message and later ones go', async (t) => {
  const { h, session, roomId, said } = await setUp(t);
  session.chatCapabilities = { edits: false };
  const mine = await fromMatrix(h, roomId, ALICE, 'm.room.message', text('helo'));
  await fromMatrix(h, roomId, ALICE, 'm.room.message', {
    msgtype: 'm.text', body: '* hello', 'm.new_content': { msgtype: 'm.text', body: 'hello' },
    'm.relates_to': { rel_type: 'm.replace', event_id: mine },
  });
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('marker'));
  await waitFor('the marker', () => session.sent.length >= 2);
  await h.core.queue.idle();
  assert.equal(session.sent.length, 2, 'the message and the marker, no edit');
  assert.ok(session.sent.every((s) => s.content.kind === 'message' && s.content.replaces === undefined));
  assert.match(said().join('\n'), /Not delivered to the contact: Fake network does not carry edits in this chat/);
});

test('a chat without reactions or media refuses those, each with its reason; deletes still go', async (t) => {
  const { h, session, roomId, said } = await setUp(t);
  session.chatCapabilities = { reactions: false, media: false };
  const mine = await fromMatrix(h, roomId, ALICE, 'm.room.message', text('mine'));
  await waitFor('mine sent', () => session.sent.length >= 1);
  await fromMatrix(h, roomId, ALICE, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: mine, key: '👍' } });
  await fromMatrix(h, roomId, ALICE, 'm.room.message', { msgtype: 'm.image', body: 'cat.png', url: 'mxc://example.org/cat', info: { mimetype: 'image/png', size: 10 } });
  await fromMatrix(h, roomId, ALICE, 'm.room.redaction', { redacts: mine });
  await waitFor('the delete', () => session.sent.length >= 2);
  await h.core.queue.idle();
  assert.equal(h.matrix.count('downloadMedia'), 0, 'the file was not fetched for a chat that cannot carry it');
  const last = session.sent.at(-1)?.content;
  assert.ok(last?.kind === 'message' && last.replaces !== undefined && last.parts.length === 0, 'the delete went');
  const text_ = said().join('\n');
  assert.match(text_, /does not carry reactions in this chat/);
  assert.match(text_, /does not carry files and media in this chat/);
});
