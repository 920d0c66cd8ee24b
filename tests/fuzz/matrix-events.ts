/**
 * Hostile Matrix events: what a Matrix user (or a broken client) can put into a portal room.
 * The homeserver checks little of an event's content, so all of this reaches the bridge:
 * - wrongTypes: body / msgtype / format / formatted_body / url / info of the wrong type
 * - longNames: file names of 300..4,000 characters, odd characters in names and bodies
 * - missingMedia: media events whose mxc:// URI does not exist, is malformed, or is absent
 * - badInfo: `info` with negative, absurd, wrong-typed sizes, mimetypes, thumbnails
 * - relations: m.relates_to garbage, edits / replies / threads naming unknown events
 * - hugeBodies: bodies and formatted bodies near the homeserver's 64 KiB event limit
 * - reactions: to unknown events, with odd or huge keys
 * - redactions: of events that do not exist
 */
import { Rng, oddString, wrongValue } from './generator';

export const MATRIX_CLASSES = [
  'wrongTypes', 'longNames', 'missingMedia', 'badInfo', 'relations', 'hugeBodies', 'reactions', 'redactions',
] as const;
export type MatrixClass = (typeof MATRIX_CLASSES)[number];

export const MATRIX_WEIGHTS: Record<MatrixClass, number> = {
  wrongTypes: 25, longNames: 10, missingMedia: 12, badInfo: 12, relations: 15, hugeBodies: 4, reactions: 12, redactions: 10,
};

export type HostileMatrixEvent =
  | { cls: MatrixClass; variant: string; kind: 'event'; type: string; content: Record<string, unknown> }
  | { cls: MatrixClass; variant: string; kind: 'redact'; eventId: string };

/** What the generator may point at: an mxc URI that exists, an event that exists in the room. */
export interface MatrixTargets {
  mxc: string;
  eventId: string;
}

type Unclassed = HostileMatrixEvent extends infer E ? (E extends HostileMatrixEvent ? Omit<E, 'cls'> : never) : never;
type Gen = (rng: Rng, t: MatrixTargets) => Unclassed;

const msg = (variant: string, content: Record<string, unknown>): Unclassed => ({
  variant, kind: 'event', type: 'm.room.message', content,
});
const unknownEvent = (rng: Rng) => `$${rng.id('unknown').replace(/-/g, '')}${rng.pick([':localhost', '', ':other.example'])}`;
const mediaTypes = ['m.image', 'm.file', 'm.audio', 'm.video'] as const;

const wrongTypes: Gen[] = [
  (rng) => msg('body', { msgtype: 'm.text', body: wrongValue(rng) }),
  (rng) => msg('msgtype', { msgtype: wrongValue(rng), body: 'wrong msgtype' }),
  (rng) => msg('unknown-msgtype', { msgtype: rng.pick(['m.bogus', 'm.key.verification.request', 'org.example.custom', '', 'm.server_notice']), body: 'unknown msgtype' }),
  () => msg('no-body', { msgtype: 'm.text' }),
  () => msg('no-msgtype', { body: 'no msgtype' }),
  (rng) => msg('formatted-body', { msgtype: 'm.text', body: 'f', format: 'org.matrix.custom.html', formatted_body: wrongValue(rng) }),
  (rng) => msg('format', { msgtype: 'm.text', body: 'f', format: wrongValue(rng), formatted_body: '<b>x</b>' }),
  (rng) => msg('url', { msgtype: rng.pick(mediaTypes), body: 'file', url: wrongValue(rng) }),
  (rng) => msg('info', { msgtype: rng.pick(mediaTypes), body: 'file', url: 'mxc://localhost/x', info: wrongValue(rng) }),
  (rng) => msg('emote-notice', { msgtype: rng.pick(['m.emote', 'm.notice']), body: wrongValue(rng) }),
  (rng) => msg('location', { msgtype: 'm.location', body: 'here', geo_uri: rng.pick([42, 'geo:', 'geo:999,999', 'geo:1,2;u=x', 'http://x', null]) }),
  (rng) => ({ variant: 'sticker', kind: 'event', type: 'm.sticker', content: { body: wrongValue(rng), url: wrongValue(rng), info: wrongValue(rng) } }),
  (rng) => msg('html-hostile', { msgtype: 'm.text', body: 'html', format: 'org.matrix.custom.html', formatted_body: rng.pick([`${'<b>'.repeat(5000)}x`, '<img src=x onerror=alert(1)>', '<mx-reply><blockquote>' + '<a>'.repeat(2000), '<table>'.repeat(3000), '&#xD800;&#0;&#x110000;']) }),
];

const longNames: Gen[] = [
  (rng, t) => msg('long-file-name', { msgtype: 'm.file', body: `${'n'.repeat(rng.int(300, 4000))}.txt`, url: t.mxc, info: { mimetype: 'text/plain', size: 5 } }),
  (rng, t) => msg('long-filename-field', { msgtype: rng.pick(mediaTypes), body: 'caption', filename: `${'é'.repeat(rng.int(300, 2000))}.bin`, url: t.mxc, info: { mimetype: 'application/octet-stream', size: 5 } }),
  (rng, t) => msg('odd-file-name', { msgtype: 'm.file', body: rng.pick(['../../../etc/passwd', 'con.txt', '\u0000.txt', '.', '', ' ', 'a/b\\c', oddString(rng)]), url: t.mxc, info: { mimetype: 'text/plain', size: 5 } }),
  (rng) => msg('long-body-word', { msgtype: 'm.text', body: 'w'.repeat(rng.int(300, 20_000)) }),
];

const missingMedia: Gen[] = [
  (rng) => msg('mxc-does-not-exist', { msgtype: rng.pick(mediaTypes), body: 'missing.bin', url: `mxc://localhost/${rng.id('nothere').replace(/-/g, '')}`, info: { mimetype: 'application/octet-stream', size: 10 } }),
  (rng) => msg('mxc-other-server', { msgtype: rng.pick(mediaTypes), body: 'remote.bin', url: `mxc://unreachable.invalid/${rng.id('x').replace(/-/g, '')}` }),
  (rng) => msg('mxc-malformed', { msgtype: rng.pick(mediaTypes), body: 'bad.bin', url: rng.pick(['mxc://', 'mxc:///x', 'mxc://localhost/', 'http://127.0.0.1:1/x', 'mxc://localhost/../../x', 'mxc://%00/x']) }),
  (rng) => msg('no-url', { msgtype: rng.pick(mediaTypes), body: 'no url at all', info: { mimetype: 'image/png', size: 10 } }),
  (rng) => msg('encrypted-file-garbage', { msgtype: rng.pick(mediaTypes), body: 'e2e.bin', file: rng.pick([{}, { url: 'mxc://localhost/nope', key: 'x', iv: 5, hashes: null, v: 'v2' }, 'file']) }),
  (rng) => ({ variant: 'sticker-missing', kind: 'event', type: 'm.sticker', content: { body: 'sticker', url: `mxc://localhost/${rng.id('nosticker').replace(/-/g, '')}`, info: { mimetype: 'image/png' } } }),
];

const badInfo: Gen[] = [
  (rng, t) => msg('size', { msgtype: rng.pick(mediaTypes), body: 'f', url: t.mxc, info: { size: rng.pick([-1, 2 ** 53 - 1, '5', 1.5, null, 1e15]), mimetype: 'image/png' } }),
  (rng, t) => msg('mimetype', { msgtype: rng.pick(mediaTypes), body: 'f', url: t.mxc, info: { mimetype: rng.pick([5, '', '../../x', 'text/html; charset=utf-7', 'a'.repeat(2000), null]), size: 5 } }),
  (rng, t) => msg('dimensions', { msgtype: 'm.image', body: 'i.png', url: t.mxc, info: { w: wrongValue(rng), h: wrongValue(rng), duration: wrongValue(rng), size: 5, mimetype: 'image/png' } }),
  (rng, t) => msg('thumbnail', { msgtype: 'm.image', body: 'i.png', url: t.mxc, info: { thumbnail_url: rng.pick(['mxc://localhost/nothumb', 5, '']), thumbnail_info: wrongValue(rng), size: 5, mimetype: 'image/png' } }),
  (rng, t) => msg('info-array', { msgtype: rng.pick(mediaTypes), body: 'f', url: t.mxc, info: [1, 2, 3] }),
  (rng, t) => msg('voice-waveform', { msgtype: 'm.audio', body: 'v.ogg', url: t.mxc, info: { mimetype: 'audio/ogg', duration: -5 }, 'org.matrix.msc3245.voice': {}, 'org.matrix.msc1767.audio': { waveform: wrongValue(rng), duration: wrongValue(rng) } }),
];

const relations: Gen[] = [
  (rng) => msg('relates-to-wrong-type', { msgtype: 'm.text', body: 'rel', 'm.relates_to': wrongValue(rng) }),
  (rng) => msg('edit-unknown', { msgtype: 'm.text', body: '* edit', 'm.new_content': { msgtype: 'm.text', body: 'edit' }, 'm.relates_to': { rel_type: 'm.replace', event_id: unknownEvent(rng) } }),
  (rng) => msg('edit-bad-new-content', { msgtype: 'm.text', body: '* edit', 'm.new_content': wrongValue(rng), 'm.relates_to': { rel_type: 'm.replace', event_id: unknownEvent(rng) } }),
  (rng) => msg('reply-unknown', { msgtype: 'm.text', body: 'reply', 'm.relates_to': { 'm.in_reply_to': { event_id: unknownEvent(rng) } } }),
  (rng) => msg('reply-wrong-type', { msgtype: 'm.text', body: 'reply', 'm.relates_to': { 'm.in_reply_to': wrongValue(rng) } }),
  (rng) => msg('thread-unknown', { msgtype: 'm.text', body: 'thread', 'm.relates_to': { rel_type: 'm.thread', event_id: unknownEvent(rng), is_falling_back: true, 'm.in_reply_to': { event_id: unknownEvent(rng) } } }),
  (rng) => msg('rel-type-garbage', { msgtype: 'm.text', body: 'rel', 'm.relates_to': { rel_type: wrongValue(rng), event_id: wrongValue(rng) } }),
  (rng, t) => msg('edit-of-real-by-wrong-type', { msgtype: 'm.text', body: '* x', 'm.new_content': { msgtype: 5, body: wrongValue(rng) }, 'm.relates_to': { rel_type: 'm.replace', event_id: t.eventId } }),
];

const hugeBodies: Gen[] = [
  (rng) => msg('ascii-60k', { msgtype: 'm.text', body: 'a'.repeat(rng.int(55_000, 62_000)) }),
  (rng) => msg('multibyte-60k', { msgtype: 'm.text', body: '€'.repeat(rng.int(18_000, 20_500)) }),
  (rng) => msg('html-60k', { msgtype: 'm.text', body: 'html', format: 'org.matrix.custom.html', formatted_body: '<i>x</i>'.repeat(rng.int(6_000, 7_500)) }),
  (rng) => msg('many-lines', { msgtype: 'm.text', body: '\n'.repeat(rng.int(30_000, 60_000)) }),
];

const reactions: Gen[] = [
  (rng) => ({ variant: 'to-unknown', kind: 'event', type: 'm.reaction', content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: unknownEvent(rng), key: '👍' } } }),
  (rng, t) => ({ variant: 'huge-key', kind: 'event', type: 'm.reaction', content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: t.eventId, key: rng.pick(['👍'.repeat(2000), 'x'.repeat(10_000), oddString(rng)]) } } }),
  (rng, t) => ({ variant: 'wrong-typed', kind: 'event', type: 'm.reaction', content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: rng.chance(0.5) ? t.eventId : wrongValue(rng), key: wrongValue(rng) } } }),
  (rng) => ({ variant: 'no-relation', kind: 'event', type: 'm.reaction', content: rng.pick([{}, { key: '👍' }, { 'm.relates_to': null }]) }),
];

const redactions: Gen[] = [
  (rng) => ({ variant: 'unknown-event', kind: 'redact', eventId: unknownEvent(rng) }),
  (rng) => ({ variant: 'redaction-event-garbage', kind: 'event', type: 'm.room.redaction', content: { redacts: wrongValue(rng), reason: wrongValue(rng) } }),
];

const GENERATORS: Record<MatrixClass, Gen[]> = {
  wrongTypes, longNames, missingMedia, badInfo, relations, hugeBodies, reactions, redactions,
};

export function hostileMatrixEvent(rng: Rng, cls: MatrixClass, targets: MatrixTargets): HostileMatrixEvent {
  return { cls, ...rng.pick(GENERATORS[cls])(rng, targets) } as HostileMatrixEvent;
}
