import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AttachmentPart, Content, MessageContent } from '../../../src/protocol/content';
import { remoteToMatrix, type MatrixAction } from '../../../src/convert/remote-to-matrix';

const base = { messageId: 'r-1', timestamp: 1_700_000_000_000 };
const message = (parts: MessageContent['parts'], extra: Partial<MessageContent> = {}): Content => ({
  kind: 'message',
  ...base,
  parts,
  ...extra,
});
const attachment = (over: Partial<AttachmentPart>): AttachmentPart => ({
  type: 'attachment',
  kind: 'image',
  mediaId: 'm1',
  key: 'k',
  digest: 'd',
  size: 1234,
  mimeType: 'image/jpeg',
  ...over,
});
const contentOf = (action: MatrixAction) => {
  assert.ok(action.type === 'message' || action.type === 'notice', `expected an event, got ${action.type}`);
  return action.content as unknown as Record<string, unknown>;
};

describe('remote → Matrix: messages', () => {
  it('turns formatted text into m.text with HTML, and never pings anyone', () => {
    const [action, ...rest] = remoteToMatrix(message([{ type: 'text', body: 'hi *there*', format: 'markdown-wa' }]));
    assert.equal(rest.length, 0);
    assert.deepEqual(action, {
      type: 'message',
      eventType: 'm.room.message',
      primary: true,
      content: {
        msgtype: 'm.text',
        body: 'hi *there*',
        format: 'org.matrix.custom.html',
        formatted_body: 'hi <strong>there</strong>',
        'm.mentions': {},
      },
    });
  });

  it('sends one event per part: text first, then each attachment; the first is primary', () => {
    const actions = remoteToMatrix(
      message([
        { type: 'text', body: 'look', format: 'plain' },
        attachment({ kind: 'image', width: 640, height: 480 }),
        attachment({ kind: 'video', mimeType: 'video/mp4', durationMs: 5000, fileName: 'clip.mp4' }),
      ]),
      { media: { 1: 'mxc://hs/img', 2: 'mxc://hs/vid' } },
    );
    assert.deepEqual(actions.map((a) => a.type === 'message' && [contentOf(a).msgtype, a.primary]), [
      ['m.text', true],
      ['m.image', false],
      ['m.video', false],
    ]);
    assert.deepEqual(contentOf(actions[1]), {
      msgtype: 'm.image',
      body: 'image.jpg',
      url: 'mxc://hs/img',
      info: { mimetype: 'image/jpeg', size: 1234, w: 640, h: 480 },
      'm.mentions': {},
    });
    assert.deepEqual(contentOf(actions[2]).info, { mimetype: 'video/mp4', size: 1234, duration: 5000 });
    assert.equal(contentOf(actions[2]).body, 'clip.mp4');
  });

  it('uses Matrix 1.10 captions: filename plus the caption as body', () => {
    const [action] = remoteToMatrix(message([attachment({ kind: 'file', mimeType: 'application/pdf', fileName: 'a.pdf', caption: 'the *report*' })]), {
      media: { 0: 'mxc://hs/f' },
    });
    const content = contentOf(action);
    assert.equal(content.msgtype, 'm.file');
    assert.equal(content.filename, 'a.pdf');
    assert.equal(content.body, 'the *report*');
    assert.equal(content.formatted_body, 'the <strong>report</strong>');
  });

  it('turns a voice note into m.audio with the MSC3245 voice flag and MSC1767 duration and waveform', () => {
    const [action] = remoteToMatrix(
      message([attachment({ kind: 'voice', mimeType: 'audio/ogg', durationMs: 3200, waveform: [0, 512, 1023, 2000, -5, 7.6] })]),
      { media: { 0: 'mxc://hs/voice' } },
    );
    const content = contentOf(action);
    assert.equal(content.msgtype, 'm.audio');
    assert.equal(content.body, 'Voice message');
    assert.deepEqual(content['org.matrix.msc3245.voice'], {});
    assert.deepEqual(content['org.matrix.msc1767.audio'], { duration: 3200, waveform: [0, 512, 1023, 1024, 0, 8] });
    assert.deepEqual(content.info, { mimetype: 'audio/ogg', size: 1234, duration: 3200 });
  });

  it('resamples an oversized waveform instead of forwarding it whole', () => {
    const [action] = remoteToMatrix(message([attachment({ kind: 'voice', waveform: new Array(100_000).fill(5) })]), {
      media: { 0: 'mxc://hs/v' },
    });
    const audio = contentOf(action)['org.matrix.msc1767.audio'] as { waveform: number[] };
    assert.equal(audio.waveform.length, 256);
  });

  it('turns an audio file into plain m.audio without the voice flag', () => {
    const [action] = remoteToMatrix(message([attachment({ kind: 'audio', mimeType: 'audio/mpeg', durationMs: 1000 })]), {
      media: { 0: 'mxc://hs/a' },
    });
    const content = contentOf(action);
    assert.equal(content.body, 'audio.mp3');
    assert.equal(content['org.matrix.msc3245.voice'], undefined);
  });

  it('sends stickers as m.sticker events', () => {
    const [action] = remoteToMatrix(message([attachment({ kind: 'sticker', mimeType: 'image/webp', width: 512, height: 512 })]), {
      media: { 0: 'mxc://hs/st' },
    });
    assert.deepEqual(action, {
      type: 'message',
      eventType: 'm.sticker',
      primary: true,
      content: { body: 'sticker.webp', url: 'mxc://hs/st', info: { mimetype: 'image/webp', size: 1234, w: 512, h: 512 }, 'm.mentions': {} },
    });
  });

  it('in an encrypted room, media and stickers carry `file` (EncryptedFile) and no `url`', () => {
    const file = {
      url: 'mxc://hs/cipher', v: 'v2' as const, iv: 'aXY', hashes: { sha256: 'aGFzaA' },
      key: { kty: 'oct' as const, key_ops: ['encrypt', 'decrypt'], alg: 'A256CTR' as const, k: 'a2V5', ext: true as const },
    };
    const [image, sticker] = remoteToMatrix(message([attachment({ kind: 'image', mimeType: 'image/png' }), attachment({ kind: 'sticker', mimeType: 'image/webp' })]), {
      media: { 0: { file }, 1: { file: { ...file, url: 'mxc://hs/st' } } },
    });
    const content = contentOf(image);
    assert.deepEqual(content.file, file);
    assert.equal(content.url, undefined);
    assert.equal(content.msgtype, 'm.image');
    const stickerContent = contentOf(sticker);
    assert.equal((stickerContent.file as { url: string }).url, 'mxc://hs/st');
    assert.equal(stickerContent.url, undefined);
  });

  it('a `file` whose url is not mxc:// becomes a notice, not an event with a bad URI', () => {
    const file = { url: 'https://evil/x', v: 'v2' as const, iv: 'a', hashes: { sha256: 'b' }, key: { kty: 'oct' as const, key_ops: [], alg: 'A256CTR' as const, k: 'c', ext: true as const } };
    const [action] = remoteToMatrix(message([attachment({ kind: 'image', mimeType: 'image/png' })]), { media: { 0: { file } } });
    const content = contentOf(action);
    assert.equal(content.msgtype, 'm.notice');
    assert.equal(content.file, undefined);
  });

  it('sends locations as m.location with a geo: URI', () => {
    const [action] = remoteToMatrix(message([{ type: 'location', latitude: 52.520008, longitude: 13.404954, name: 'Alexanderplatz', address: 'Berlin' }]));
    assert.deepEqual(contentOf(action), {
      msgtype: 'm.location',
      body: 'Alexanderplatz, Berlin (geo:52.520008,13.404954)',
      geo_uri: 'geo:52.520008,13.404954',
      'org.matrix.msc3488.location': { uri: 'geo:52.520008,13.404954', description: 'Alexanderplatz, Berlin' },
      'm.mentions': {},
    });
    const [tiny] = remoteToMatrix(message([{ type: 'location', latitude: 0.00000001, longitude: -1e-9 }]));
    assert.equal(contentOf(tiny).geo_uri, 'geo:0,0');
  });

  it('posts a notice instead of an invalid location or a failed attachment', () => {
    const actions = remoteToMatrix(
      message([
        { type: 'location', latitude: 123, longitude: 0 },
        attachment({ kind: 'video', caption: 'my holiday' }),
        attachment({ kind: 'image' }),
      ]),
      { media: { 1: { failed: 'It is larger than the 100 MB limit.' } } },
    );
    assert.deepEqual(actions.map((a) => a.type), ['notice', 'notice', 'notice']);
    assert.match(String(contentOf(actions[0]).body), /Not delivered: a location\. Its coordinates are not valid\./);
    assert.match(String(contentOf(actions[1]).body), /a video\. It is larger than the 100 MB limit\.\nThe sender's app described it as: “my holiday”/);
    assert.match(String(contentOf(actions[2]).body), /a photo\. The bridge could not fetch it/);
    assert.equal(contentOf(actions[0]).msgtype, 'm.notice');
  });

  it('merges adjacent text parts of the same format into one event', () => {
    const actions = remoteToMatrix(message([
      { type: 'text', body: 'one', format: 'plain' },
      { type: 'text', body: 'two', format: 'plain' },
    ]));
    assert.equal(actions.length, 1);
    assert.equal(contentOf(actions[0]).body, 'one\ntwo');
  });
});

describe('remote → Matrix: replies, edits, deletes', () => {
  it('puts m.in_reply_to on the first event only, with no fallback text', () => {
    const actions = remoteToMatrix(
      message([{ type: 'text', body: 'yes', format: 'plain' }, attachment({})], { inReplyTo: 'r-0' }),
      { replyTo: '$orig', media: { 1: 'mxc://hs/x' } },
    );
    assert.deepEqual(contentOf(actions[0])['m.relates_to'], { 'm.in_reply_to': { event_id: '$orig' } });
    assert.equal(contentOf(actions[0]).body, 'yes');
    assert.equal(contentOf(actions[1])['m.relates_to'], undefined);
  });

  it('sends a reply to an unknown message as a plain message', () => {
    const [action] = remoteToMatrix(message([{ type: 'text', body: 'yes', format: 'plain' }], { inReplyTo: 'r-unknown' }));
    assert.equal(contentOf(action)['m.relates_to'], undefined);
  });

  it('turns an edit into m.replace with m.new_content and the "* " fallback', () => {
    const [action, ...rest] = remoteToMatrix(message([{ type: 'text', body: 'fixed *typo*', format: 'markdown-wa' }], { replaces: 'r-0' }), {
      targets: ['$orig', '$orig-img'],
    });
    assert.equal(rest.length, 0);
    assert.deepEqual(contentOf(action), {
      msgtype: 'm.text',
      body: '* fixed *typo*',
      format: 'org.matrix.custom.html',
      formatted_body: '* fixed <strong>typo</strong>',
      'm.mentions': {},
      'm.new_content': {
        msgtype: 'm.text',
        body: 'fixed *typo*',
        format: 'org.matrix.custom.html',
        formatted_body: 'fixed <strong>typo</strong>',
        'm.mentions': {},
      },
      'm.relates_to': { rel_type: 'm.replace', event_id: '$orig' },
    });
  });

  it('sends an edit of a message Matrix never saw as a new message', () => {
    const [action] = remoteToMatrix(message([{ type: 'text', body: 'v2', format: 'plain' }], { replaces: 'r-gone' }));
    assert.equal(contentOf(action).body, 'v2');
    assert.equal(contentOf(action)['m.relates_to'], undefined);
  });

  it('says so when only part of an edit can be shown', () => {
    const actions = remoteToMatrix(
      message([{ type: 'text', body: 'new', format: 'plain' }, { type: 'location', latitude: 1, longitude: 2 }], { replaces: 'r-0' }),
      { targets: ['$orig'] },
    );
    assert.deepEqual(actions.map((a) => a.type), ['message', 'notice']);
  });

  it('redacts every Matrix event of a deleted message, and nothing for an unknown one', () => {
    assert.deepEqual(remoteToMatrix(message([], { replaces: 'r-0' }), { targets: ['$a', '$b'] }), [
      { type: 'redact', eventId: '$a', reason: 'Deleted by the sender' },
      { type: 'redact', eventId: '$b', reason: 'Deleted by the sender' },
    ]);
    assert.deepEqual(remoteToMatrix(message([], { replaces: 'r-0' })), []);
  });
});

describe('remote → Matrix: reactions and unsupported content', () => {
  const reaction = (emoji: string): Content => ({ kind: 'reaction', ...base, target: 'r-0', emoji });

  it('sends m.annotation on the primary event', () => {
    assert.deepEqual(remoteToMatrix(reaction('👍'), { targets: ['$orig', '$other'] }), [
      { type: 'reaction', eventType: 'm.reaction', content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$orig', key: '👍' } } },
    ]);
  });

  it('replaces the previous reaction (one per person, as on WhatsApp)', () => {
    const actions = remoteToMatrix(reaction('❤️'), { targets: ['$orig'], previousReaction: '$old' });
    assert.deepEqual(actions.map((a) => a.type), ['redact', 'reaction']);
    assert.deepEqual(actions[0], { type: 'redact', eventId: '$old', reason: 'Reaction removed' });
  });

  it('redacts the reaction on un-react (empty emoji)', () => {
    assert.deepEqual(remoteToMatrix(reaction(''), { targets: ['$orig'], previousReaction: '$old' }), [
      { type: 'redact', eventId: '$old', reason: 'Reaction removed' },
    ]);
    assert.deepEqual(remoteToMatrix(reaction(''), { targets: ['$orig'] }), []);
    assert.deepEqual(remoteToMatrix(reaction('👍')), []);
  });

  it('posts a notice saying what was not delivered and why', () => {
    const [action, ...rest] = remoteToMatrix({ kind: 'unsupported', ...base, original: 'poll', fallbackText: 'Lunch?\n1. pizza\n2. sushi' });
    assert.equal(rest.length, 0);
    assert.equal(action.type, 'notice');
    const content = contentOf(action);
    assert.equal(content.msgtype, 'm.notice');
    assert.equal(
      content.body,
      "⚠️ Not delivered: a poll. The sender's app sent something this bridge cannot show in Matrix yet (“poll”).\n" +
        "The sender's app described it as: “Lunch?\n1. pizza\n2. sushi”",
    );
  });

  it('escapes hostile text in notices and cuts it short', () => {
    const [action] = remoteToMatrix({ kind: 'unsupported', ...base, original: '<img src=x onerror=alert(1)>', fallbackText: 'x'.repeat(5000) + '\u202e' });
    const content = contentOf(action);
    assert.ok(!String(content.formatted_body).includes('<img'));
    assert.ok(String(content.body).length < 800);
    assert.ok(!String(content.body).includes('\u202e'));
  });

  it('answers content of an unknown kind with a notice instead of throwing', () => {
    const odd = { kind: 'hologram', ...base } as unknown as Content;
    const [action] = remoteToMatrix(odd);
    assert.equal(action.type, 'notice');
    const noParts = { kind: 'message', ...base } as unknown as Content;
    assert.deepEqual(remoteToMatrix(noParts), []);
  });
});

describe('remote → Matrix: size limits', () => {
  const eventBytes = (content: unknown) => new TextEncoder().encode(JSON.stringify(content)).length;

  it('drops the HTML before it would push an event past the Matrix size limit', () => {
    const text = '*b* '.repeat(14_000); // ~56 kB of body, more again as HTML
    const [action] = remoteToMatrix(message([{ type: 'text', body: text, format: 'markdown-wa' }]));
    const content = contentOf(action);
    assert.equal(content.body, text);
    assert.equal(content.formatted_body, undefined);
  });

  it('cuts text that is too long even as plain text, and says how much is missing', () => {
    for (const unit of ['x', '😀', '\n', '"\u0001']) {
      const text = unit.repeat(100_000);
      const [action] = remoteToMatrix(message([{ type: 'text', body: text, format: 'plain' }]));
      const content = contentOf(action);
      assert.ok(eventBytes(content) < 64_000, `${JSON.stringify(unit)}: ${eventBytes(content)} bytes`);
      assert.match(String(content.body), /⚠️ The last \d+ characters of this message were too long for Matrix/);
      assert.ok(String(content.body).startsWith(unit.repeat(100)));
    }
  });
});
