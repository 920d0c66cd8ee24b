/**
 * Hostile remote contents: the plaintext a remote person (or a broken or malicious client)
 * puts inside a perfectly valid Signal ciphertext. Each generator returns the exact bytes to
 * encrypt; the fuzz sends them with the sim's OutboundSender, below the client's own
 * validation, so the bridge sees what a hostile peer could really send.
 *
 * Classes, and what a healthy bridge should make of them:
 * - garbage: not UTF-8 JSON at all (random bytes, truncated JSON, bare JSON values) → refused
 * - wrongTypes: JSON of the right shape with a field of the wrong type, missing or unknown → refused
 * - huge: text at and over the content limits, many parts, hundreds of KiB of ignored extra fields
 * - deepNested: nesting 1,000..200,000 levels deep, where the schema ignores it and where it does not
 * - refusedStrings: lone surrogates, and text the homeserver's 64 KiB event limit refuses
 * - unknownRelations: replies, edits, deletes and reactions naming messages nobody ever sent
 * - badMedia: attachments with a wrong digest, unknown media ID, wrong key, wrong or absurd size
 * - extremeValues: valid by the schema but at the edge (timestamps past 2^53, odd IDs, full hop trails)
 */
import type { AttachmentPart } from '../../src/protocol/content';
import { deepJson, loneSurrogateText, oddString, Rng, wrongValue } from './generator';

export const REMOTE_CLASSES = [
  'garbage', 'wrongTypes', 'huge', 'deepNested', 'refusedStrings', 'unknownRelations', 'badMedia', 'extremeValues',
] as const;
export type RemoteClass = (typeof REMOTE_CLASSES)[number];

/** Most hostile input is cheap to refuse; the classes that may legitimately reach Matrix are rarer. */
export const REMOTE_WEIGHTS: Record<RemoteClass, number> = {
  garbage: 34, wrongTypes: 34, unknownRelations: 15, huge: 2, deepNested: 3, refusedStrings: 1.5, badMedia: 3, extremeValues: 2.5,
};

export interface HostileContent {
  cls: RemoteClass;
  /** which variant of the class, for the report */
  variant: string;
  bytes: Uint8Array;
}

const enc = new TextEncoder();

function base(rng: Rng): { messageId: string; timestamp: number } {
  return { messageId: rng.id('fz'), timestamp: Date.now() };
}

function text(rng: Rng, body: string): Record<string, unknown> {
  return { kind: 'message', ...base(rng), parts: [{ type: 'text', body, format: 'plain' }] };
}

type Gen = (rng: Rng, media: AttachmentPart) => [string, string | Uint8Array];

const garbage: Gen[] = [
  (rng) => ['random-bytes', rng.bytes(rng.int(0, 2048))],
  (rng) => ['invalid-utf8', new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0xc0, 0x80, ...rng.bytes(16), 0x7d])],
  () => ['empty', new Uint8Array(0)],
  (rng) => {
    const full = JSON.stringify(text(rng, 'truncated'));
    return ['truncated-json', full.slice(0, rng.int(1, full.length - 1))];
  },
  (rng) => ['bare-value', JSON.stringify(rng.pick([null, 0, 'text', [], true, [text(rng, 'in an array')]]))],
  (rng) => ['not-json', rng.pick(['hello', '<xml/>', 'kind=message', '{kind: message}', "{'kind':'message'}", 'NaN', '\u0000\u0000'])],
  (rng) => ['json-with-bom', `\ufeff${JSON.stringify(text(rng, 'bom'))}`],
  (rng) => ['duplicate-keys', `{"kind":"message","kind":"reaction","messageId":"${rng.id('d')}","timestamp":1,"parts":[]}`],
];

function mutate(rng: Rng, value: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(value);
  const key = rng.pick(keys);
  if (rng.chance(0.2)) {
    delete value[key];
  } else {
    value[key] = wrongValue(rng);
  }
  return value;
}

const wrongTypes: Gen[] = [
  (rng) => ['message-field', JSON.stringify(mutate(rng, text(rng, 'wrong-typed')))],
  (rng) => {
    const c = text(rng, 'wrong-typed part');
    c.parts = [mutate(rng, { type: 'text', body: 'x', format: 'plain' })];
    return ['text-part-field', JSON.stringify(c)];
  },
  (rng, media) => {
    const c = text(rng, '');
    c.parts = [mutate(rng, { ...media })];
    return ['attachment-field', JSON.stringify(c)];
  },
  (rng) => {
    const c = text(rng, '');
    c.parts = [mutate(rng, { type: 'location', latitude: 1, longitude: 2, name: 'n' })];
    return ['location-field', JSON.stringify(c)];
  },
  (rng) => ['reaction-field', JSON.stringify(mutate(rng, { kind: 'reaction', ...base(rng), target: rng.id('t'), emoji: '👍' }))],
  (rng) => ['unknown-kind', JSON.stringify({ ...base(rng), kind: rng.pick(['poll', 'MESSAGE', '', 'message ', 'constructor', '__proto__']) })],
  (rng) => ['unknown-part-type', JSON.stringify({ kind: 'message', ...base(rng), parts: [{ type: rng.pick(['video', 'html', '', 'constructor']), body: 'x' }] })],
  (rng) => ['empty-parts-no-replaces', JSON.stringify({ kind: 'message', ...base(rng), parts: [] })],
  (rng) => ['proto-pollution', `{"kind":"message","messageId":"${rng.id('p')}","timestamp":1,"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"parts":[{"type":"text","body":"proto","format":"plain"}]}`],
  (rng) => ['unsupported-field', JSON.stringify(mutate(rng, { kind: 'unsupported', ...base(rng), original: 'poll', fallbackText: 'Poll?' }))],
];

const huge: Gen[] = [
  (rng) => ['body-at-limit', JSON.stringify(text(rng, 'a'.repeat(65_536)))],
  (rng) => ['body-over-limit', JSON.stringify(text(rng, 'a'.repeat(65_537)))],
  (rng) => ['32-parts', JSON.stringify({ kind: 'message', ...base(rng), parts: Array.from({ length: 32 }, (_, i) => ({ type: 'text', body: `part ${i}`, format: 'plain' })) })],
  (rng) => ['33-parts', JSON.stringify({ kind: 'message', ...base(rng), parts: Array.from({ length: 33 }, () => ({ type: 'text', body: 'p', format: 'plain' })) })],
  // (megabyte envelopes up to the frame limit are the stressors' job, one at a time: stressors.ts)
  (rng) => ['256kib-extra-field', JSON.stringify({ ...text(rng, 'small text, big extra field'), padding: 'x'.repeat(rng.int(64, 256) * 1024) })],
  (rng) => ['huge-array-extra-field', JSON.stringify({ ...text(rng, 'big array'), list: new Array(100_000).fill(0) })],
  (rng) => ['caption-and-markdown-at-limit', JSON.stringify({ kind: 'message', ...base(rng), parts: [{ type: 'text', body: '*_~'.repeat(21_845), format: 'markdown-wa' }] })],
];

const deepNested: Gen[] = [
  (rng) => {
    const depth = rng.pick([1_000, 10_000, 100_000, 200_000]);
    const c = JSON.stringify(text(rng, `deep extra field ${depth}`));
    return [`ignored-extra-${depth}`, `${c.slice(0, -1)},"extra":${deepJson(depth, rng.chance(0.5) ? 'array' : 'object')}}`];
  },
  (rng) => {
    const depth = rng.pick([1_000, 50_000]);
    return [`in-parts-${depth}`, `{"kind":"message","messageId":"${rng.id('n')}","timestamp":1,"parts":${deepJson(depth, 'array')}}`];
  },
  (rng) => {
    const depth = rng.pick([1_000, 50_000]);
    return [`as-body-${depth}`, `{"kind":"message","messageId":"${rng.id('n')}","timestamp":1,"parts":[{"type":"text","format":"plain","body":${deepJson(depth, 'object')}}]}`];
  },
  (rng) => ['deep-hop-trail', `{"kind":"message","messageId":"${rng.id('n')}","timestamp":1,"hopTrail":${deepJson(20_000, 'array')},"parts":[{"type":"text","format":"plain","body":"x"}]}`],
];

const refusedStrings: Gen[] = [
  (rng) => ['lone-surrogate-body', JSON.stringify(text(rng, loneSurrogateText(rng)))],
  (rng) => ['lone-surrogate-emoji', JSON.stringify({ kind: 'reaction', ...base(rng), target: rng.id('t'), emoji: loneSurrogateText(rng) })],
  (rng) => ['lone-surrogate-location', JSON.stringify({ kind: 'message', ...base(rng), parts: [{ type: 'location', latitude: 1, longitude: 1, name: loneSurrogateText(rng) }] })],
  (rng) => ['lone-surrogate-fallback', JSON.stringify({ kind: 'unsupported', ...base(rng), original: 'poll', fallbackText: loneSurrogateText(rng) })],
  (rng, media) => ['lone-surrogate-filename', JSON.stringify({ kind: 'message', ...base(rng), parts: [{ ...media, fileName: loneSurrogateText(rng), caption: loneSurrogateText(rng) }] })],
  // 65,536 characters of 3-byte UTF-8: valid content, but ~192 KiB, three times the homeserver's 64 KiB event limit
  (rng) => ['over-64kib-event', JSON.stringify(text(rng, '€'.repeat(65_536)))],
  (rng) => ['odd-string', JSON.stringify(text(rng, oddString(rng)))],
];

const unknownRelations: Gen[] = [
  (rng) => ['reaction-unknown-target', JSON.stringify({ kind: 'reaction', ...base(rng), target: rng.id('never-sent'), emoji: '👍' })],
  (rng) => ['reaction-removal-unknown', JSON.stringify({ kind: 'reaction', ...base(rng), target: rng.id('never-sent'), emoji: '' })],
  (rng) => ['delete-unknown', JSON.stringify({ kind: 'message', ...base(rng), replaces: rng.id('never-sent'), parts: [] })],
  (rng) => ['edit-unknown', JSON.stringify({ kind: 'message', ...base(rng), replaces: rng.id('never-sent'), parts: [{ type: 'text', body: 'edit of nothing', format: 'plain' }] })],
  (rng) => ['reply-unknown', JSON.stringify({ ...text(rng, 'reply to nothing'), inReplyTo: rng.id('never-sent') })],
  (rng) => {
    const id = rng.id('self');
    return ['self-reference', JSON.stringify({ kind: 'message', messageId: id, timestamp: 1, replaces: id, inReplyTo: id, parts: [] })];
  },
  (rng) => ['reaction-odd-target', JSON.stringify({ kind: 'reaction', ...base(rng), target: rng.pick(['$event:localhost', '../..', '\u0000', ' ', 'x'.repeat(128)]), emoji: '🔥' })],
];

const badMedia: Gen[] = [
  (rng, media) => ['wrong-digest', JSON.stringify({ kind: 'message', ...base(rng), parts: [{ ...media, digest: Buffer.from(rng.bytes(32)).toString('base64') }] })],
  (rng, media) => ['unknown-media-id', JSON.stringify({ kind: 'message', ...base(rng), parts: [{ ...media, mediaId: rng.id('no-such-media') }] })],
  (rng, media) => ['wrong-key', JSON.stringify({ kind: 'message', ...base(rng), parts: [{ ...media, key: Buffer.from(rng.bytes(32)).toString('base64') }] })],
  (rng, media) => ['wrong-size', JSON.stringify({ kind: 'message', ...base(rng), parts: [{ ...media, size: media.size + rng.int(1, 1000) }] })],
  (rng, media) => ['absurd-size', JSON.stringify({ kind: 'message', ...base(rng), parts: [{ ...media, size: rng.pick([2 ** 40, 2 ** 53 - 1, 1e300]) }] })],
  (rng, media) => ['odd-mime', JSON.stringify({ kind: 'message', ...base(rng), parts: [{ ...media, kind: rng.pick(['image', 'video', 'sticker', 'voice']), mimeType: rng.pick(['image/svg+xml', 'text/html', 'a/b', 'application/x-msdownload']) }] })],
  (rng, media) => ['odd-media-id', JSON.stringify({ kind: 'message', ...base(rng), parts: [{ ...media, mediaId: rng.pick(['../../etc/passwd', '%00', 'x'.repeat(128), ' ']) }] })],
  (rng, media) => ['many-broken-attachments', JSON.stringify({ kind: 'message', ...base(rng), parts: Array.from({ length: 8 }, () => ({ ...media, digest: Buffer.from(rng.bytes(32)).toString('base64') })) })],
];

const extremeValues: Gen[] = [
  (rng) => ['timestamp-past-2^53', JSON.stringify({ ...text(rng, 'far future'), timestamp: rng.pick([2 ** 53 + 2, 1e300, 2 ** 63]) })],
  (rng) => ['timestamp-zero', JSON.stringify({ ...text(rng, 'epoch'), timestamp: 0 })],
  (rng) => ['odd-message-id', JSON.stringify({ ...text(rng, 'odd id'), messageId: rng.pick(['\u0000', ' ', '../../x', '$event:localhost', '💥'.repeat(64), `${rng.id('%s')}%n`]) })],
  (rng, media) => ['extreme-dimensions', JSON.stringify({ kind: 'message', ...base(rng), parts: [{ ...media, kind: 'image', mimeType: 'image/png', width: 100_000, height: 100_000, durationMs: 1e300, waveform: new Array(4096).fill(1023) }] })],
  (rng) => ['full-hop-trail', JSON.stringify({ ...text(rng, 'full trail'), hopTrail: Array.from({ length: 32 }, () => ({ from: 'h'.repeat(256), to: '<b>x</b>', protection: 'none', plaintextAt: new Array(32).fill('p'.repeat(256)) })) })],
  (rng) => ['location-edges', JSON.stringify({ kind: 'message', ...base(rng), parts: [{ type: 'location', latitude: rng.pick([-90, 90, 0]), longitude: rng.pick([-180, 180, 1e-300]), name: 'n'.repeat(1024), address: '<script>'.repeat(128) }] })],
  (rng) => ['unsupported-huge-fallback', JSON.stringify({ kind: 'unsupported', ...base(rng), original: 'x'.repeat(128), fallbackText: 'f'.repeat(65_536) })],
];

const GENERATORS: Record<RemoteClass, Gen[]> = {
  garbage, wrongTypes, huge, deepNested, refusedStrings, unknownRelations, badMedia, extremeValues,
};

/** One hostile content of class `cls`; `media` is a real attachment part uploaded by the sender. */
export function hostileContent(rng: Rng, cls: RemoteClass, media: AttachmentPart): HostileContent {
  const [variant, value] = rng.pick(GENERATORS[cls])(rng, media);
  return { cls, variant, bytes: typeof value === 'string' ? enc.encode(value) : value };
}
