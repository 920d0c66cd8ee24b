// No bridged event without a hop trail, end to end (real Synapse, real gateway, the real
// bridge, a simulated remote person): a mixed stream of every kind of message crosses both
// ways — text, formatted text, image, file, voice, sticker, location, reaction, un-react,
// reply, edit, delete (and, from the remote side, a kind the bridge can only describe in a
// notice). Every event the bridge put into the portal carries exactly the expected trail, and
// every content the remote person received carries exactly the expected hopTrail.
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttachmentMeta } from '../../src/interop-client/client';
import type { IncomingMessage } from '../../src/interop-client/types';
import type { Content } from '../../src/protocol/content';
import { matrixToRemoteTrail, remoteToMatrixTrail, toContentHopTrail, type TrailFacts } from '../../src/security';
import type { SimUser } from '../../src/sim/sim-user';
import type { MatrixEvent } from '../helpers/matrix-client';
import { matrixUser, messageFrom, simReceivesText, startChatFromRemote, startInteropEnv } from '../helpers/interop-env';
import { eventFrom, timelineSince, trailOf } from '../helpers/security-probe';
import { readHopTrail } from '../helpers/hop-trail-reader';

const ALICE_PHONE = '+4915112345678';
const SAM_PHONE = '+14155552671';

const FACTS: TrailFacts = { contactProvider: 'native', contactE2ee: true, matrixRoomEncrypted: false, identityVerified: false };

async function sendAttachment(sim: SimUser, to: string, meta: AttachmentMeta): Promise<string> {
  const part = await sim.client.uploadAttachment(randomBytes(600), meta);
  const content: Content = { kind: 'message', messageId: randomBytes(8).toString('hex'), timestamp: Date.now(), parts: [part] };
  await sim.send(to, content);
  return content.messageId;
}

/** A short description of a Matrix event the bridge sent, to compare the stream as a list. */
function describeMatrix(e: MatrixEvent): string {
  const rel = (e.content['m.relates_to'] ?? {}) as Record<string, unknown>;
  const how = rel.rel_type === 'm.replace' ? ' edit' : rel['m.in_reply_to'] ? ' reply' : '';
  if (e.type === 'm.room.message') return `${String(e.content.msgtype)}${e.content.format ? ' html' : ''}${how}`;
  return e.type;
}

/** A short description of a remote content, likewise. */
function describeRemote(m: IncomingMessage): string {
  const c = m.content;
  if (c.kind === 'reaction') return c.emoji === '' ? 'un-react' : 'reaction';
  if (c.kind !== 'message') return c.kind;
  if (c.replaces && c.parts.length === 0) return 'delete';
  const part = c.parts[0];
  const what = part?.type === 'attachment' ? part.kind : part?.type === 'text' ? `text ${part.format ?? 'plain'}` : String(part?.type);
  return `${what}${c.replaces ? ' edit' : ''}${c.inReplyTo ? ' reply' : ''}`;
}

test('a mixed stream both ways: every bridged event and every remote content carries its trail', async (t) => {
  const env = await startInteropEnv();
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const { sim: sam, ghost, portal } = await startChatFromRemote(env, alice, ALICE_PHONE, SAM_PHONE);
  const bridgeUsers = new Set([ghost, env.botUserId]);
  const fromAlice = () => sam.received.filter((m) => m.sender.phone === ALICE_PHONE);

  // Alice's first message gives Sam something to react to, reply to; it is later edited and deleted.
  const aliceFirstEventId = await alice.sendText(portal, 'alice: plain text');
  const aliceFirst = await simReceivesText(sam, ALICE_PHONE, 'alice: plain text');

  await t.test('remote → Matrix: every kind arrives, each event with the exact trail', async () => {
    const mark = await alice.catchUp();
    const plainId = await sam.sendText(ALICE_PHONE, 'sam: plain text');
    const formattedId = await sam.sendText(ALICE_PHONE, 'sam: *bold* and _italic_', { format: 'markdown-wa' });
    await sendAttachment(sam, ALICE_PHONE, { kind: 'image', mimeType: 'image/png', fileName: 'dot.png', width: 1, height: 1 });
    await sendAttachment(sam, ALICE_PHONE, { kind: 'file', mimeType: 'application/pdf', fileName: 'report.pdf' });
    await sendAttachment(sam, ALICE_PHONE, { kind: 'voice', mimeType: 'audio/ogg', durationMs: 1200, waveform: [1, 500, 1000] });
    await sendAttachment(sam, ALICE_PHONE, { kind: 'sticker', mimeType: 'image/webp' });
    await sam.send(ALICE_PHONE, { kind: 'message', messageId: randomBytes(8).toString('hex'), timestamp: Date.now(), parts: [{ type: 'location', latitude: 52.52, longitude: 13.405, name: 'Berlin' }] });
    await sam.send(ALICE_PHONE, { kind: 'unsupported', messageId: randomBytes(8).toString('hex'), timestamp: Date.now(), original: 'poll', fallbackText: 'Poll: tea or coffee?' });
    await sam.react(ALICE_PHONE, aliceFirst.content.messageId, '👍');
    await sam.react(ALICE_PHONE, aliceFirst.content.messageId, '');
    await sam.reply(ALICE_PHONE, aliceFirst.content.messageId, 'sam: a reply');
    await sam.edit(ALICE_PHONE, plainId, 'sam: plain text, edited');
    await sam.delete(ALICE_PHONE, formattedId);
    const formattedEvent = await alice.waitForEvent(messageFrom(portal, ghost, /bold/), { after: mark, timeoutMs: 30_000 });
    await alice.waitForEvent((e) => eventFrom(portal, ghost, 'm.room.redaction')(e)
      && (e.event.redacts ?? e.event.content.redacts) === formattedEvent.event.event_id, { after: mark, timeoutMs: 30_000 });

    const bridged = timelineSince(alice, portal, mark).filter((e) => bridgeUsers.has(e.sender ?? '') && e.state_key === undefined);
    assert.deepEqual(bridged.map(describeMatrix), [
      'm.text', 'm.text html', 'm.image', 'm.file', 'm.audio', 'm.sticker', 'm.location', 'm.notice html',
      'm.reaction', 'm.room.redaction', 'm.text reply', 'm.text edit', 'm.room.redaction',
    ], 'every kind arrived, in order');
    const expected = remoteToMatrixTrail(FACTS);
    for (const e of bridged) {
      assert.ok(readHopTrail(e.content), `${describeMatrix(e)} has a well-formed trail`);
      assert.deepEqual(trailOf(e), expected, `${describeMatrix(e)} has the exact trail`);
    }
  });

  await t.test('Matrix → remote: every kind arrives, each content with the exact hopTrail', async () => {
    const samText = alice.seen.find(messageFrom(portal, ghost, 'sam: plain text, edited'))
      ?? alice.seen.find(messageFrom(portal, ghost, 'sam: plain text'));
    assert.ok(samText?.event.event_id);
    const samEventId = samText.event.event_id;
    const upload = (mime: string, name: string) => alice.uploadMedia(randomBytes(500), mime, name);
    await alice.sendEvent(portal, 'm.room.message', {
      msgtype: 'm.text', body: 'alice: **bold**', format: 'org.matrix.custom.html', formatted_body: 'alice: <strong>bold</strong>',
    });
    await alice.sendEvent(portal, 'm.room.message', { msgtype: 'm.image', body: 'shot.png', url: await upload('image/png', 'shot.png'), info: { mimetype: 'image/png', size: 500, w: 1, h: 1 } });
    await alice.sendEvent(portal, 'm.room.message', { msgtype: 'm.file', body: 'minutes.pdf', url: await upload('application/pdf', 'minutes.pdf'), info: { mimetype: 'application/pdf', size: 500 } });
    await alice.sendEvent(portal, 'm.room.message', {
      msgtype: 'm.audio', body: 'Voice message', url: await upload('audio/ogg', 'voice.ogg'), info: { mimetype: 'audio/ogg', size: 500 },
      'org.matrix.msc3245.voice': {}, 'org.matrix.msc1767.audio': { duration: 900, waveform: [3, 300, 900] },
    });
    await alice.sendEvent(portal, 'm.sticker', { body: 'party', url: await upload('image/png', 'party.png'), info: { mimetype: 'image/png', size: 500 } });
    await alice.sendEvent(portal, 'm.room.message', { msgtype: 'm.location', body: 'Eiffel Tower', geo_uri: 'geo:48.8584,2.2945' });
    const reaction = await alice.sendEvent(portal, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: samEventId, key: '❤️' } });
    await alice.redact(portal, reaction);
    await alice.sendEvent(portal, 'm.room.message', { msgtype: 'm.text', body: 'alice: a reply', 'm.relates_to': { 'm.in_reply_to': { event_id: samEventId } } });
    await alice.sendEvent(portal, 'm.room.message', {
      msgtype: 'm.text', body: '* alice: plain text, edited', 'm.new_content': { msgtype: 'm.text', body: 'alice: plain text, edited' },
      'm.relates_to': { rel_type: 'm.replace', event_id: aliceFirstEventId },
    });
    await alice.redact(portal, aliceFirstEventId);
    await sam.waitFor('message', (m) => m.content.kind === 'message' && m.content.replaces === aliceFirst.content.messageId
      && m.content.parts.length === 0, 30_000);

    const received = fromAlice();
    assert.deepEqual(received.map(describeRemote), [
      'text plain', 'text markdown-wa', 'image', 'file', 'voice', 'sticker', 'location',
      'reaction', 'un-react', 'text plain reply', 'text plain edit', 'delete',
    ], 'every kind arrived, in order');
    const expected = toContentHopTrail(matrixToRemoteTrail(FACTS));
    for (const m of received) assert.deepEqual(m.content.hopTrail, expected, `${describeRemote(m)} carries the exact hopTrail`);
  });

  await t.test('over the whole portal, no event the bridge sent lacks a trail (room notices aside)', () => {
    const all = timelineSince(alice, portal, 0).filter((e) => bridgeUsers.has(e.sender ?? '') && e.state_key === undefined);
    const untrailed = all.filter((e) => readHopTrail(e.content) === undefined);
    // the one event without a trail is the bot's notice about the room itself, not about a message
    assert.deepEqual(untrailed.map((e) => String(e.content.body).split('\n')[0]), ['🔓 Where messages in this chat can be read']);
    assert.ok(all.length >= 15, `the portal holds the whole stream (${all.length} bridge events)`);
  });
});
