// Media and locations both ways, end to end (real Synapse with authenticated
// media, real gateway with its encrypted media store, the real bridge, a
// simulated remote person). Bytes are compared, not just event shapes. Media
// over bridge.max_media_bytes becomes a notice, and nothing is half-sent.
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttachmentKind, AttachmentPart, ContentPart, LocationPart } from '../../src/protocol/content';
import type { SimUser } from '../../src/sim/sim-user';
import type { AttachmentMeta } from '../../src/interop-client/client';
import type { MatrixClient, SeenEvent } from '../helpers/matrix-client';
import {
  matrixUser, messageFrom, remoteText, simReceivesText, startChatFromRemote, startInteropEnv,
} from '../helpers/interop-env';

const ALICE_PHONE = '+4915112345678';
const SAM_PHONE = '+14155552671';
const MAX_MEDIA = 64 * 1024;
/** what a size-limit notice says, one way or another */
const TOO_BIG = /too (large|big)|limit|bytes|MiB|KiB|KB|MB/i;

/** Sends one attachment with full metadata (duration, waveform, size) from a sim. */
async function sendAttachment(sim: SimUser, to: string, data: Uint8Array, meta: AttachmentMeta): Promise<string> {
  const part = await sim.client.uploadAttachment(data, meta);
  const messageId = randomBytes(8).toString('hex');
  await sim.send(to, { kind: 'message', messageId, timestamp: Date.now(), parts: [part] });
  return messageId;
}

const fromGhostIn = (portal: string, ghost: string) => (e: SeenEvent) =>
  e.roomId === portal && e.section === 'timeline' && e.event.sender === ghost
  && (e.event.type === 'm.room.message' || e.event.type === 'm.sticker');

function firstPart<T extends ContentPart['type']>(m: { content: { kind: string; parts?: ContentPart[] } }, type: T) {
  return m.content.parts?.find((p): p is Extract<ContentPart, { type: T }> => p.type === type);
}

async function downloadEquals(client: MatrixClient, url: unknown, expected: Uint8Array): Promise<void> {
  assert.match(String(url), /^mxc:\/\//);
  const { data } = await client.downloadMedia(String(url));
  assert.ok(data.equals(Buffer.from(expected)), `downloaded ${data.length} bytes equal the ${expected.length} sent`);
}

test('media and locations, both directions', async (t) => {
  const env = await startInteropEnv({ adjust: (c) => { c.bridge.max_media_bytes = MAX_MEDIA; } });
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const { sim: sam, ghost, portal } = await startChatFromRemote(env, alice, ALICE_PHONE, SAM_PHONE);

  const remoteCases: Array<{ kind: AttachmentKind; mime: string; eventType: string; msgtype?: string; extra?: Partial<AttachmentMeta> }> = [
    { kind: 'image', mime: 'image/png', eventType: 'm.room.message', msgtype: 'm.image', extra: { width: 4, height: 3, fileName: 'dot.png' } },
    { kind: 'video', mime: 'video/mp4', eventType: 'm.room.message', msgtype: 'm.video', extra: { durationMs: 1500 } },
    { kind: 'audio', mime: 'audio/mpeg', eventType: 'm.room.message', msgtype: 'm.audio', extra: { fileName: 'song.mp3' } },
    { kind: 'file', mime: 'application/pdf', eventType: 'm.room.message', msgtype: 'm.file', extra: { fileName: 'report.pdf' } },
    { kind: 'sticker', mime: 'image/webp', eventType: 'm.sticker' },
  ];
  for (const c of remoteCases) {
    await t.test(`remote ${c.kind} → ${c.msgtype ?? c.eventType} whose download equals the bytes sent`, async () => {
      const data = randomBytes(3000);
      const mark = await alice.catchUp();
      await sendAttachment(sam, ALICE_PHONE, data, { kind: c.kind, mimeType: c.mime, ...c.extra });
      const ev = (await alice.waitForEvent(fromGhostIn(portal, ghost), { after: mark, timeoutMs: 20_000 })).event;
      assert.equal(ev.type, c.eventType);
      if (c.msgtype) assert.equal(ev.content.msgtype, c.msgtype);
      const info = ev.content.info as Record<string, unknown>;
      assert.equal(info.mimetype, c.mime);
      assert.equal(info.size, data.length);
      if (c.extra?.fileName) assert.equal(ev.content.body, c.extra.fileName);
      if (c.extra?.width) assert.deepEqual([info.w, info.h], [c.extra.width, c.extra.height]);
      if (c.extra?.durationMs) assert.equal(info.duration, c.extra.durationMs);
      await downloadEquals(alice, ev.content.url, data);
    });
  }

  await t.test('remote voice note → m.audio with MSC3245 voice and MSC1767 duration/waveform', async () => {
    const data = randomBytes(2000);
    const waveform = [0, 100, 512, 1023, 700, 30];
    const mark = await alice.catchUp();
    await sendAttachment(sam, ALICE_PHONE, data, { kind: 'voice', mimeType: 'audio/ogg', durationMs: 3200, waveform });
    const ev = (await alice.waitForEvent(fromGhostIn(portal, ghost), { after: mark })).event;
    assert.equal(ev.content.msgtype, 'm.audio');
    assert.deepEqual(ev.content['org.matrix.msc3245.voice'], {});
    const audio = ev.content['org.matrix.msc1767.audio'] as { duration: number; waveform: number[] };
    assert.equal(audio.duration, 3200);
    assert.deepEqual(audio.waveform, waveform);
    await downloadEquals(alice, ev.content.url, data);
  });

  await t.test('remote image with a caption: caption is the body, file name in filename', async () => {
    const data = randomBytes(1000);
    const mark = await alice.catchUp();
    await sendAttachment(sam, ALICE_PHONE, data, { kind: 'image', mimeType: 'image/jpeg', fileName: 'beach.jpg', caption: '*sunny*' });
    const ev = (await alice.waitForEvent(fromGhostIn(portal, ghost), { after: mark })).event;
    assert.equal(ev.content.filename, 'beach.jpg');
    // body is the caption's plain fallback (markers kept, as for text); the HTML carries the formatting
    assert.match(String(ev.content.body), /sunny/);
    assert.notEqual(ev.content.body, 'beach.jpg');
    assert.match(String(ev.content.formatted_body), /<strong>sunny<\/strong>/);
    await downloadEquals(alice, ev.content.url, data);
  });

  const matrixCases: Array<{ kind: AttachmentKind; mime: string; eventType: string; content: Record<string, unknown> }> = [
    { kind: 'image', mime: 'image/png', eventType: 'm.room.message', content: { msgtype: 'm.image', body: 'shot.png', info: { w: 2, h: 2 } } },
    { kind: 'video', mime: 'video/mp4', eventType: 'm.room.message', content: { msgtype: 'm.video', body: 'clip.mp4', info: { duration: 900 } } },
    { kind: 'audio', mime: 'audio/mpeg', eventType: 'm.room.message', content: { msgtype: 'm.audio', body: 'tune.mp3' } },
    { kind: 'file', mime: 'application/pdf', eventType: 'm.room.message', content: { msgtype: 'm.file', body: 'minutes.pdf' } },
    {
      kind: 'voice', mime: 'audio/ogg', eventType: 'm.room.message', content: {
        msgtype: 'm.audio', body: 'Voice message', 'org.matrix.msc3245.voice': {},
        'org.matrix.msc1767.audio': { duration: 2100, waveform: [10, 400, 1000, 20] },
      },
    },
    { kind: 'sticker', mime: 'image/png', eventType: 'm.sticker', content: { body: 'party' } },
  ];
  for (const c of matrixCases) {
    await t.test(`Matrix ${String(c.content.msgtype ?? c.eventType)}${c.kind === 'voice' ? ' (voice)' : ''} → remote ${c.kind} attachment with the same bytes`, async () => {
      const data = randomBytes(2500);
      const url = await alice.uploadMedia(data, c.mime, typeof c.content.body === 'string' ? c.content.body : undefined);
      const info = { mimetype: c.mime, size: data.length, ...(c.content.info as object | undefined) };
      const before = sam.received.length;
      await alice.sendEvent(portal, c.eventType, { ...c.content, url, info });
      const got = await sam.waitFor('message', (m) => sam.received.indexOf(m) >= before && m.sender.phone === ALICE_PHONE
        && firstPart(m, 'attachment') !== undefined, 20_000);
      const part = firstPart(got, 'attachment') as AttachmentPart;
      assert.equal(part.kind, c.kind);
      assert.equal(part.mimeType, c.mime);
      assert.equal(part.size, data.length);
      if (c.kind === 'file') assert.equal(part.fileName, 'minutes.pdf');
      if (c.kind === 'voice') {
        assert.equal(part.durationMs, 2100);
        assert.deepEqual(part.waveform, [10, 400, 1000, 20]);
      }
      assert.ok(Buffer.from(await sam.download(part)).equals(data), 'the contact downloads exactly the uploaded bytes');
    });
  }

  await t.test('remote location → m.location with a geo: URI', async () => {
    const location: LocationPart = { type: 'location', latitude: 52.52, longitude: 13.405, name: 'Berlin' };
    const mark = await alice.catchUp();
    await sam.send(ALICE_PHONE, { kind: 'message', messageId: 'loc-1', timestamp: Date.now(), parts: [location] });
    const ev = (await alice.waitForEvent(fromGhostIn(portal, ghost), { after: mark })).event;
    assert.equal(ev.content.msgtype, 'm.location');
    assert.equal(ev.content.geo_uri, 'geo:52.52,13.405');
    assert.match(String(ev.content.body), /Berlin/);
  });

  await t.test('Matrix m.location → remote location part', async () => {
    const before = sam.received.length;
    await alice.sendEvent(portal, 'm.room.message', { msgtype: 'm.location', body: 'Eiffel Tower', geo_uri: 'geo:48.8584,2.2945' });
    const got = await sam.waitFor('message', (m) => sam.received.indexOf(m) >= before && firstPart(m, 'location') !== undefined, 20_000);
    const part = firstPart(got, 'location') as LocationPart;
    assert.deepEqual([part.latitude, part.longitude], [48.8584, 2.2945]);
    assert.equal(part.name, 'Eiffel Tower');
  });

  await t.test('remote media over bridge.max_media_bytes → a notice, no media event', async () => {
    const mark = await alice.catchUp();
    await sendAttachment(sam, ALICE_PHONE, randomBytes(MAX_MEDIA + 1), { kind: 'file', mimeType: 'application/zip', fileName: 'big.zip' });
    await sam.sendText(ALICE_PHONE, 'after the big one');
    await alice.waitForEvent(messageFrom(portal, ghost, 'after the big one'), { after: mark, timeoutMs: 30_000 });
    const window = alice.seen.slice(mark).filter((e) => e.roomId === portal && e.section === 'timeline');
    const notice = window.find((e) => e.event.type === 'm.room.message' && e.event.content.msgtype === 'm.notice'
      && TOO_BIG.test(String(e.event.content.body)));
    assert.ok(notice, `a notice about the size; saw ${JSON.stringify(window.map((e) => e.event.content.body))}`);
    assert.ok(!window.some((e) => typeof e.event.content.url === 'string'), 'no media event was sent');
  });

  await t.test('Matrix media over bridge.max_media_bytes → a notice in the room, the contact gets nothing', async () => {
    const data = randomBytes(MAX_MEDIA + 1);
    const url = await alice.uploadMedia(data, 'application/zip', 'huge.zip');
    const mark = await alice.catchUp();
    const before = sam.received.length;
    await alice.sendEvent(portal, 'm.room.message', { msgtype: 'm.file', body: 'huge.zip', url, info: { mimetype: 'application/zip', size: data.length } });
    const notice = await alice.waitForEvent((e) => e.roomId === portal && e.section === 'timeline'
      && e.event.type === 'm.room.message' && e.event.content.msgtype === 'm.notice' && TOO_BIG.test(String(e.event.content.body)),
    { after: mark, timeoutMs: 20_000 });
    assert.match(String(notice.event.content.body), /huge\.zip|file/i, 'the notice says which media');
    await alice.sendText(portal, 'barrier after huge');
    await simReceivesText(sam, ALICE_PHONE, 'barrier after huge');
    const between = sam.received.slice(before).filter((m) => remoteText(m.content) !== 'barrier after huge');
    assert.deepEqual(between.map((m) => m.content), [], 'nothing half-sent');
  });
});
