// Matrix content the network's validator would refuse must never block a portal: what the
// bridge can make valid is made valid (a 305-character file name is shortened, a width of 0
// dropped), what it cannot (media that does not exist, a wrong-typed field) fails at once
// with a notice, and the portal's next message goes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromMatrix, ownerWithPortal, sentTexts, statuses, text, waitFor } from '../../helpers/outbox-driver';
import type { E164 } from '../../../src/network/remote-network';
import type { AttachmentPart } from '../../../src/protocol/content';
import { parseContent } from '../../../src/protocol/validate';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;

async function setUp(t: { after: (fn: () => Promise<void>) => void }) {
  const portal = await ownerWithPortal(t, ALICE, ALICE_PHONE, SAM);
  const mxc = 'mxc://example.org/file1';
  portal.h.matrix.media.set(mxc, new Uint8Array([1, 2, 3, 4]));
  return { ...portal, mxc };
}

const attachments = (sent: { content: unknown }[]): AttachmentPart[] =>
  sent.flatMap((s) => {
    const c = s.content as { kind: string; parts?: { type: string }[] };
    return c.kind === 'message' ? ((c.parts ?? []).filter((p) => p.type === 'attachment') as AttachmentPart[]) : [];
  });

test('outbox: an m.file whose name is 305 characters is sent with the name shortened, extension kept', async (t) => {
  const { h, session, roomId, mxc, said } = await setUp(t);
  const name = `${'n'.repeat(301)}.pdf`;
  assert.equal(name.length, 305);
  await fromMatrix(h, roomId, ALICE, 'm.room.message', { msgtype: 'm.file', body: name, url: mxc, info: { mimetype: 'application/pdf' } });
  await waitFor('the file on the network', () => session.sent.length >= 1);
  const [part] = attachments(session.sent);
  assert.ok(part.fileName);
  assert.equal([...part.fileName].length, 255);
  assert.match(part.fileName, /^n+….pdf$/);
  assert.deepEqual(said(), []);
  assert.equal(session.count('send'), 1);
});

test('outbox: an m.image whose well-formed mxc:// URL does not exist fails at once with a notice; the next message goes', async (t) => {
  const { h, session, roomId, said } = await setUp(t);
  const image = await fromMatrix(h, roomId, ALICE, 'm.room.message', { msgtype: 'm.image', body: 'gone.png', url: 'mxc://example.org/NoSuchMedia' });
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('after the missing image'));
  await waitFor('the next message', () => session.sent.length >= 1);
  await h.core.queue.idle();
  assert.equal(h.matrix.count('downloadMedia'), 1, 'a 404 is not retried');
  assert.deepEqual(sentTexts(session.sent), ['after the missing image']);
  const told = said();
  assert.equal(told.length, 1);
  assert.match(told[0], /Not delivered to the contact: the file could not be fetched from the homeserver/);
  assert.deepEqual(statuses(h, image).map((e) => e.content.status), ['FAIL_PERMANENT']);
});

test('outbox: media with wrong-typed or out-of-range info is sent without the bad values', async (t) => {
  const { h, session, roomId, mxc, said } = await setUp(t);
  const infos: unknown[] = [
    { mimetype: 'image/png', w: 0, h: 80 },
    { mimetype: 'image/png', w: -3, h: 1.5 },
    { mimetype: 'image/png', w: '100', h: 200_000 },
    { mimetype: 42, w: 100, h: 80, size: 'big' },
    'not an object',
    [1, 2],
  ];
  for (const info of infos) await fromMatrix(h, roomId, ALICE, 'm.room.message', { msgtype: 'm.image', body: 'pic.png', url: mxc, info });
  await waitFor('every image on the network', () => session.sent.length >= infos.length);
  const parts = attachments(session.sent);
  assert.deepEqual(parts.map((p) => [p.width, p.height]), [
    [undefined, 80], [undefined, undefined], [undefined, undefined], [100, 80], [undefined, undefined], [undefined, undefined],
  ]);
  assert.ok(parts.every((p) => p.mimeType === 'image/png' || p.mimeType === 'image/jpeg'));
  assert.deepEqual(said(), []);
  assert.equal(session.count('send'), infos.length, 'each sent on its first attempt');
});

test('outbox: wrong-typed fields get a notice or are ignored, never block the portal', async (t) => {
  const { h, session, roomId, mxc, said } = await setUp(t);
  const garbage: [string, Record<string, unknown>, Record<string, unknown>?][] = [
    ['m.room.message', { msgtype: 'm.text', body: 42 }],
    ['m.room.message', { msgtype: 'm.image', body: 'x.png', url: 12 }],
    ['m.room.message', { msgtype: 'm.image', body: 'x.png', url: mxc, info: null }],
    ['m.room.message', { msgtype: 'm.text', body: 'garbage relation', 'm.relates_to': 'yes' }],
    ['m.room.message', { msgtype: 'm.text', body: 'array relation', 'm.relates_to': [1, 2] }],
    ['m.room.message', { msgtype: 'm.text', body: '* edit', 'm.new_content': 'nope', 'm.relates_to': { rel_type: 'm.replace', event_id: 7 } }],
    ['m.room.message', { msgtype: 7, body: 'typed msgtype' }],
    ['m.room.message', { msgtype: 'm.text', body: 'bad html', format: 'org.matrix.custom.html', formatted_body: { b: 1 } }],
    ['m.room.message', { msgtype: 'm.text', body: 'bad timestamp' }, { origin_server_ts: 'yesterday' }],
    ['m.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$x', key: 5 } }],
    ['m.room.redaction', { redacts: { id: '$x' } }],
    ['m.sticker', { body: 'sticker', url: mxc, info: 'big' }],
  ];
  for (const [type, content, extra] of garbage) await fromMatrix(h, roomId, ALICE, type, content, extra);
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('still flowing'));
  await waitFor('the last message', () => sentTexts(session.sent).includes('still flowing'));
  await h.core.queue.idle();
  assert.equal((await h.store.outbox.portalsWithPending()).length, 0, 'nothing is left pending');
  assert.equal(h.log.lines.filter((l) => /will be retried/.test(l.text)).length, 0, 'nothing was retried');
  // the text-shaped ones went, the unreadable ones were explained
  for (const body of ['garbage relation', 'array relation', 'bad html', 'bad timestamp', 'still flowing']) {
    assert.ok(sentTexts(session.sent).includes(body), body);
  }
  assert.ok(said().length >= 3, 'the events that cannot be bridged got notices');
  // the fake network takes anything; the real one refuses content its schema refuses
  for (const { content } of session.sent) assert.deepEqual(parseContent(content).ok ? [] : [parseContent(content)], []);
});
