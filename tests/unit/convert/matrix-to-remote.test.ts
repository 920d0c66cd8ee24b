import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  completeMediaMessage, matrixRelations, matrixToRemote, type MatrixToRemote, type MatrixToRemoteRefs,
} from '../../../src/convert/matrix-to-remote';
import { parseGeoUri, stripReplyFallback } from '../../../src/convert/matrix-read';
import type { MatrixRoomEvent } from '../../../src/convert/matrix-types';

const TS = 1_700_000_000_000;
const event = (type: string, content: Record<string, unknown>, extra: Partial<MatrixRoomEvent> = {}): MatrixRoomEvent => ({
  type,
  event_id: '$ev',
  sender: '@alice:hs',
  room_id: '!room:hs',
  origin_server_ts: TS,
  content,
  ...extra,
});
const refs = (extra: Partial<MatrixToRemoteRefs> = {}): MatrixToRemoteRefs => ({ messageId: 'm-1', ...extra });
const sent = (result: MatrixToRemote) => {
  assert.equal(result.type, 'send', JSON.stringify(result));
  return (result as Extract<MatrixToRemote, { type: 'send' }>).content;
};
const media = (result: MatrixToRemote) => {
  assert.equal(result.type, 'send-media', JSON.stringify(result));
  return result as Extract<MatrixToRemote, { type: 'send-media' }>;
};
const cannot = (result: MatrixToRemote) => {
  assert.equal(result.type, 'cannot-bridge', JSON.stringify(result));
  return result as Extract<MatrixToRemote, { type: 'cannot-bridge' }>;
};

describe('Matrix → remote: text', () => {
  it('sends plain text as plain, HTML as WhatsApp markup', () => {
    assert.deepEqual(sent(matrixToRemote(event('m.room.message', { msgtype: 'm.text', body: 'a *b* c' }), refs())), {
      kind: 'message',
      messageId: 'm-1',
      timestamp: TS,
      parts: [{ type: 'text', body: 'a *b* c', format: 'plain' }],
    });
    const html = event('m.room.message', {
      msgtype: 'm.text',
      body: '**bold** and `code`',
      format: 'org.matrix.custom.html',
      formatted_body: '<strong>bold</strong> and <code>code</code><script>steal()</script>',
    });
    assert.deepEqual(sent(matrixToRemote(html, refs())).kind === 'message' && sent(matrixToRemote(html, refs())), {
      kind: 'message',
      messageId: 'm-1',
      timestamp: TS,
      parts: [{ type: 'text', body: '*bold* and `code`', format: 'markdown-wa' }],
    });
  });

  it('sends notices as text and emotes with the sender name', () => {
    const notice = sent(matrixToRemote(event('m.room.message', { msgtype: 'm.notice', body: 'bot says' }), refs()));
    assert.deepEqual(notice.kind === 'message' && notice.parts, [{ type: 'text', body: 'bot says', format: 'plain' }]);
    const emote = sent(matrixToRemote(event('m.room.message', { msgtype: 'm.emote', body: 'waves' }), refs({ senderName: 'Alice' })));
    assert.deepEqual(emote.kind === 'message' && emote.parts, [{ type: 'text', body: '* Alice waves', format: 'plain' }]);
  });
});

describe('Matrix → remote: replies and fallbacks', () => {
  const reply = {
    msgtype: 'm.text',
    body: '> <@bob:hs> the original\n> second line\n\nmy answer',
    format: 'org.matrix.custom.html',
    formatted_body: '<mx-reply><blockquote><a href="https://matrix.to/#/!r:hs/$orig">In reply to</a> <a href="https://matrix.to/#/@bob:hs">@bob:hs</a><br>the original</blockquote></mx-reply>my <em>answer</em>',
    'm.relates_to': { 'm.in_reply_to': { event_id: '$orig' } },
  };

  it('names the replied-to event, and sets inReplyTo from the mapped ID', () => {
    assert.deepEqual(matrixRelations(event('m.room.message', reply)), { replyTo: '$orig' });
    const content = sent(matrixToRemote(event('m.room.message', reply), refs({ replyTo: 'r-orig' })));
    assert.deepEqual(content, {
      kind: 'message',
      messageId: 'm-1',
      timestamp: TS,
      inReplyTo: 'r-orig',
      parts: [{ type: 'text', body: 'my _answer_', format: 'markdown-wa' }],
    });
  });

  it('strips the plain-body fallback when there is no HTML', () => {
    const { format: _f, formatted_body: _fb, ...plain } = reply;
    const content = sent(matrixToRemote(event('m.room.message', plain), refs({ replyTo: 'r-orig' })));
    assert.deepEqual(content.kind === 'message' && content.parts, [{ type: 'text', body: 'my answer', format: 'plain' }]);
  });

  it('keeps a quote the user wrote themselves', () => {
    assert.equal(stripReplyFallback('> my own quote\n\nreply'), '> my own quote\n\nreply');
    assert.equal(stripReplyFallback('> * <@bob:hs> waves\n\nhi'), 'hi');
    assert.equal(stripReplyFallback('no fallback'), 'no fallback');
  });

  it('flattens threads into replies to the explicit target or the root', () => {
    const thread = (rel: Record<string, unknown>) => event('m.room.message', { msgtype: 'm.text', body: 'x', 'm.relates_to': rel });
    assert.deepEqual(matrixRelations(thread({ rel_type: 'm.thread', event_id: '$root', is_falling_back: true, 'm.in_reply_to': { event_id: '$latest' } })), { replyTo: '$root' });
    assert.deepEqual(matrixRelations(thread({ rel_type: 'm.thread', event_id: '$root', is_falling_back: false, 'm.in_reply_to': { event_id: '$msg' } })), { replyTo: '$msg' });
  });
});

describe('Matrix → remote: edits, reactions, redactions', () => {
  const edit = event('m.room.message', {
    msgtype: 'm.text',
    body: '* fixed',
    'm.new_content': { msgtype: 'm.text', body: 'fixed *now*', format: 'org.matrix.custom.html', formatted_body: 'fixed <b>now</b>' },
    'm.relates_to': { rel_type: 'm.replace', event_id: '$orig' },
  });

  it('turns m.replace into replaces, using m.new_content', () => {
    assert.deepEqual(matrixRelations(edit), { replaces: '$orig' });
    assert.deepEqual(sent(matrixToRemote(edit, refs({ target: 'r-orig', targetIsOwn: true }))), {
      kind: 'message',
      messageId: 'm-1',
      timestamp: TS,
      replaces: 'r-orig',
      parts: [{ type: 'text', body: 'fixed *now*', format: 'markdown-wa' }],
    });
  });

  it('sends an edit of an unknown message as a new message with the new content', () => {
    const content = sent(matrixToRemote(edit, refs()));
    assert.equal(content.kind === 'message' && content.replaces, undefined);
    assert.deepEqual(content.kind === 'message' && content.parts, [{ type: 'text', body: 'fixed *now*', format: 'markdown-wa' }]);
  });

  it('turns m.annotation into a reaction, and refuses keys that are not one emoji', () => {
    const react = (key: string) => event('m.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$orig', key } });
    assert.deepEqual(matrixRelations(react('👍')), { reactsTo: '$orig' });
    for (const key of ['👍', '❤️', '❤', '👍🏽', '👨‍👩‍👧']) {
      assert.deepEqual(sent(matrixToRemote(react(key), refs({ target: 'r-orig' }))), {
        kind: 'reaction', messageId: 'm-1', timestamp: TS, target: 'r-orig', emoji: key,
      }, key);
    }
    for (const key of ['+1', 'lol', '👍👍', '']) {
      assert.match(cannot(matrixToRemote(react(key), refs({ target: 'r-orig' }))).reason, /single emoji/, key);
    }
    assert.equal(matrixToRemote(react('👍'), refs()).type, 'ignore');
  });

  it('turns the redaction of a reaction into an un-react and of a message into a delete', () => {
    const redaction = event('m.room.redaction', { redacts: '$x' });
    assert.deepEqual(matrixRelations(redaction), { redacts: '$x' });
    assert.deepEqual(matrixRelations(event('m.room.redaction', {}, { redacts: '$old-style' })), { redacts: '$old-style' });
    assert.deepEqual(sent(matrixToRemote(redaction, refs({ redacted: { kind: 'reaction', targetRemoteId: 'r-orig', own: true } }))), {
      kind: 'reaction', messageId: 'm-1', timestamp: TS, target: 'r-orig', emoji: '',
    });
    assert.deepEqual(sent(matrixToRemote(redaction, refs({ redacted: { kind: 'message', remoteId: 'r-orig', own: true } }))), {
      kind: 'message', messageId: 'm-1', timestamp: TS, replaces: 'r-orig', parts: [],
    });
    assert.equal(matrixToRemote(redaction, refs()).type, 'ignore');
  });

  it("never edits or deletes the contact's messages or reactions on the network", () => {
    assert.match(cannot(matrixToRemote(edit, refs({ target: 'r-theirs', targetIsOwn: false }))).reason, /Only your own messages can be edited/);
    assert.equal(matrixToRemote(edit, refs({ target: 'r-theirs' })).type, 'cannot-bridge', 'an edit whose author is unknown is not sent');
    const redaction = event('m.room.redaction', { redacts: '$x' });
    for (const redacted of [
      { kind: 'message' as const, remoteId: 'r-theirs', own: false },
      { kind: 'reaction' as const, targetRemoteId: 'r-theirs', own: false },
    ]) {
      const result = matrixToRemote(redaction, refs({ redacted }));
      assert.equal(result.type, 'ignore');
      assert.match(String(result.type === 'ignore' && result.notice?.body), /Removed on Matrix only/);
    }
  });
});

describe('Matrix → remote: media and locations', () => {
  it('describes an image for the caller to fetch, then completes it with the upload', () => {
    const result = media(matrixToRemote(event('m.room.message', {
      msgtype: 'm.image',
      body: 'cat.png',
      url: 'mxc://hs.example:8448/AbC_123',
      info: { mimetype: 'image/png', size: 2048, w: 100, h: 80 },
    }), refs()));
    assert.deepEqual(result.attachment, {
      kind: 'image', mxcUrl: 'mxc://hs.example:8448/AbC_123', mimeType: 'image/png', fileName: 'cat.png', size: 2048, width: 100, height: 80,
    });
    const done = completeMediaMessage(result.base, result.attachment, { mediaId: 'med-1', key: 'a2V5', digest: 'ZGln', size: 2050 });
    assert.deepEqual(done, {
      kind: 'message',
      messageId: 'm-1',
      timestamp: TS,
      parts: [{
        type: 'attachment', kind: 'image', mimeType: 'image/png', fileName: 'cat.png', width: 100, height: 80,
        mediaId: 'med-1', key: 'a2V5', digest: 'ZGln', size: 2050,
      }],
    });
  });

  it('takes a caption from body when filename is set (Matrix 1.10), formatted when HTML', () => {
    const result = media(matrixToRemote(event('m.room.message', {
      msgtype: 'm.file', body: 'see **this**', filename: 'r.pdf', url: 'mxc://hs/f',
      format: 'org.matrix.custom.html', formatted_body: 'see <strong>this</strong>',
      info: { mimetype: 'application/pdf' },
    }), refs()));
    assert.equal(result.attachment.fileName, 'r.pdf');
    assert.equal(result.attachment.caption, 'see *this*');
  });

  it('recognises voice notes with duration and waveform scaled to 0..1023', () => {
    const result = media(matrixToRemote(event('m.room.message', {
      msgtype: 'm.audio', body: 'Voice message', url: 'mxc://hs/v',
      info: { mimetype: 'audio/ogg', duration: 999 },
      'org.matrix.msc1767.audio': { duration: 4200, waveform: [0, 1024, 512, 'x', -3] },
      'org.matrix.msc3245.voice': {},
    }), refs()));
    assert.deepEqual(result.attachment, { kind: 'voice', mxcUrl: 'mxc://hs/v', mimeType: 'audio/ogg', durationMs: 4200, waveform: [0, 1023, 512, 0, 0] });
  });

  it('sends stickers, and media from encrypted rooms with their file keys', () => {
    const sticker = media(matrixToRemote(event('m.sticker', { body: 'cool', url: 'mxc://hs/s', info: { mimetype: 'image/webp', w: 256, h: 256 } }), refs()));
    assert.equal(sticker.attachment.kind, 'sticker');
    assert.equal(sticker.attachment.caption, undefined);
    const file = { url: 'mxc://hs/enc', key: { kty: 'oct', key_ops: ['decrypt'], alg: 'A256CTR', k: 'x', ext: true }, iv: 'i', hashes: { sha256: 'h' }, v: 'v2' };
    const enc = media(matrixToRemote(event('m.room.message', { msgtype: 'm.video', body: 'v.mp4', file }), refs()));
    assert.equal(enc.attachment.mxcUrl, 'mxc://hs/enc');
    assert.deepEqual(enc.attachment.encryptedFile, file);
    // a plain `url` beside `file` is not fetched: the file's ciphertext is what the key fits
    const both = media(matrixToRemote(event('m.room.message', { msgtype: 'm.image', body: 'b.png', url: 'mxc://hs/plain', file }), refs()));
    assert.equal(both.attachment.mxcUrl, 'mxc://hs/enc');
    assert.match(cannot(matrixToRemote(event('m.room.message', { msgtype: 'm.image', body: 'b.png', url: 'mxc://hs/plain', file: { ...file, url: 'https://x' } }), refs())).reason, /mxc/);
  });

  it('refuses media without a valid mxc:// URL', () => {
    for (const url of [undefined, 'https://evil/x.png', 'mxc://hs/../etc', 42]) {
      assert.match(cannot(matrixToRemote(event('m.room.message', { msgtype: 'm.image', body: 'x', url }), refs())).reason, /mxc/);
    }
  });

  it('parses geo: URIs into a location part', () => {
    const content = sent(matrixToRemote(event('m.room.message', {
      msgtype: 'm.location', body: 'Location geo:51.5,-0.12 at 2024', geo_uri: 'geo:51.5,-0.12;u=35',
      'org.matrix.msc3488.location': { uri: 'geo:51.5,-0.12;u=35', description: 'Big Ben' },
    }), refs()));
    assert.deepEqual(content.kind === 'message' && content.parts, [{ type: 'location', latitude: 51.5, longitude: -0.12, name: 'Big Ben' }]);
    assert.deepEqual(parseGeoUri('geo:-33.8,151.2,40;crs=wgs84'), { latitude: -33.8, longitude: 151.2 });
  });

  it('refuses invalid geo: URIs with a reason', () => {
    for (const uri of ['geo:91,0', 'geo:0,181', 'geo:abc', 'geo:1,2;crs=mars', 'http://maps', '']) {
      assert.equal(parseGeoUri(uri), undefined, uri);
      const result = cannot(matrixToRemote(event('m.room.message', { msgtype: 'm.location', body: 'here', geo_uri: uri }), refs()));
      assert.equal(result.what, 'a location');
      assert.match(result.notice.body, /not a valid location/);
    }
  });
});

describe('Matrix → remote: what cannot cross', () => {
  it('explains polls, encrypted events, calls and unknown msgtypes', () => {
    const poll = cannot(matrixToRemote(event('org.matrix.msc3381.poll.start', { 'org.matrix.msc3381.poll.start': {} }), refs()));
    assert.equal(poll.what, 'a poll');
    assert.equal(poll.notice.msgtype, 'm.notice');
    assert.equal(cannot(matrixToRemote(event('m.poll.start', {}), refs())).what, 'a poll');
    assert.equal(cannot(matrixToRemote(event('m.room.encrypted', { algorithm: 'm.megolm.v1.aes-sha2' }), refs())).reason,
      'This bridge is set up not to read encrypted Matrix rooms (its admin can change that).');
    assert.equal(cannot(matrixToRemote(event('m.call.invite', {}), refs())).what, 'a call');
    assert.match(cannot(matrixToRemote(event('m.room.message', { msgtype: 'com.example.custom', body: 'x' }), refs())).what, /com\.example\.custom/);
  });

  it('ignores state events, poll votes and unknown event types', () => {
    assert.equal(matrixToRemote(event('m.room.member', { membership: 'join' }, { state_key: '@a:hs' }), refs()).type, 'ignore');
    assert.equal(matrixToRemote(event('m.poll.response', {}), refs()).type, 'ignore');
    assert.equal(matrixToRemote(event('com.example.thing', {}), refs()).type, 'ignore');
  });

  it('never throws on malformed events', () => {
    const weird: unknown[] = [
      null, {}, { type: 'm.room.message' }, { type: 'm.room.message', content: [] },
      { type: 'm.room.message', content: { msgtype: 'm.text', body: 7 } },
      { type: 'm.room.message', content: { msgtype: 'm.text', body: 'x', format: 'org.matrix.custom.html', formatted_body: {} } },
      { type: 'm.room.message', content: { msgtype: 'm.text', body: 'x', 'm.relates_to': 'nope' } },
      { type: 'm.reaction', content: { 'm.relates_to': { rel_type: 'm.annotation', key: 5 } } },
      { type: 'm.room.message', content: { msgtype: 'm.audio', body: 'x', url: 'mxc://hs/a', info: 'bad', 'org.matrix.msc1767.audio': 3 } },
    ];
    for (const input of weird) {
      const result = matrixToRemote(input as MatrixRoomEvent, refs());
      assert.ok(['send', 'send-media', 'cannot-bridge', 'ignore'].includes(result.type), JSON.stringify(input));
    }
    assert.equal(cannot(matrixToRemote({ type: 'm.room.message', content: { msgtype: 'm.text', body: 7 } }, refs())).what, 'a malformed message');
  });
});
