/**
 * One remote content part → one Matrix event content (text, media, sticker, location),
 * or a notice when the part cannot be shown. Media bytes were moved by the caller, which
 * passes the mxc:// URI it uploaded to.
 */
import type { AttachmentPart, ContentPart, LocationPart, TextPart } from '../protocol/content';
import {
  AUDIO_KEY, LOCATION_KEY, MATRIX_WAVEFORM_MAX, VOICE_KEY,
  type EncryptedFile, type LocationMessageContent, type MediaInfo, type MediaMessageContent, type RoomMessageContent,
  type StickerContent, type TextMessageContent,
} from './matrix-types';
import { ATTACHMENT_NAMES, cleanQuoted, undeliverableNotice } from './notices';
import { remoteTextToMatrix } from './wa-markup';

/** What the caller managed with an attachment: the mxc:// URI, in an encrypted room the
 *  event's `file` (core/matrix-port.ts RoomMedia), or why it failed. */
export type MediaUpload = string | { file: EncryptedFile } | { failed: string };

/** The event's `url`, or `file` for encrypted media (then there is no `url`). */
type MediaSource = { url: string } | { file: EncryptedFile };

function mediaSource(upload: MediaUpload | undefined): MediaSource | undefined {
  if (typeof upload === 'string') return upload.startsWith('mxc://') ? { url: upload } : undefined;
  if (upload && 'file' in upload && upload.file.url.startsWith('mxc://')) return { file: upload.file };
  return undefined;
}

export type PartEvent =
  | { eventType: 'm.room.message'; content: RoomMessageContent; notice?: false }
  | { eventType: 'm.sticker'; content: StickerContent; notice?: false }
  | { eventType: 'm.room.message'; content: TextMessageContent; notice: true };

/** MSC3246 suggests a few dozen samples; more is noise, and a hostile sender could send millions. */
const MAX_WAVEFORM_SAMPLES = 256;

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif', 'image/webp': 'webp',
  'video/mp4': 'mp4', 'video/webm': 'webm', 'audio/ogg': 'ogg', 'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a', 'audio/aac': 'aac', 'application/pdf': 'pdf',
};

function defaultFileName(part: AttachmentPart): string {
  const base = part.kind === 'voice' ? 'voice-message' : part.kind;
  const ext = EXTENSIONS[part.mimeType.split(';')[0].trim().toLowerCase()];
  return ext ? `${base}.${ext}` : base;
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Waveform for Matrix: integers 0..1024, at most MAX_WAVEFORM_SAMPLES, evenly resampled. */
export function matrixWaveform(samples: readonly number[]): number[] {
  const picked =
    samples.length <= MAX_WAVEFORM_SAMPLES
      ? samples
      : Array.from({ length: MAX_WAVEFORM_SAMPLES }, (_, k) => samples[Math.floor((k * samples.length) / MAX_WAVEFORM_SAMPLES)]);
  return picked.map((v) => (Number.isFinite(v) ? Math.min(MATRIX_WAVEFORM_MAX, Math.max(0, Math.round(v))) : 0));
}

function mediaInfo(part: AttachmentPart): MediaInfo {
  const info: MediaInfo = { mimetype: part.mimeType };
  if (isCount(part.size)) info.size = part.size;
  if (isCount(part.width)) info.w = part.width;
  if (isCount(part.height)) info.h = part.height;
  if (isCount(part.durationMs)) info.duration = part.durationMs;
  return info;
}

const MSGTYPE = { image: 'm.image', video: 'm.video', audio: 'm.audio', voice: 'm.audio', file: 'm.file' } as const;

function attachmentEvent(part: AttachmentPart, source: MediaSource): PartEvent {
  const fileName = part.fileName ? cleanQuoted(part.fileName, 255) : defaultFileName(part);
  if (part.kind === 'sticker') {
    // an encrypted sticker carries `file` as media messages do (Element reads it so)
    return { eventType: 'm.sticker', content: { body: fileName, ...source, info: mediaInfo(part), 'm.mentions': {} } };
  }
  const content: MediaMessageContent = {
    msgtype: MSGTYPE[part.kind],
    // Element names voice messages this way; a file name would mean nothing to anyone
    body: part.kind === 'voice' && !part.fileName ? 'Voice message' : fileName,
    ...source,
    info: mediaInfo(part),
    'm.mentions': {},
  };
  if (part.caption) {
    // Matrix 1.10 captions: when `filename` is set and differs from body, body is the caption
    const caption = remoteTextToMatrix(part.caption, 'markdown-wa');
    Object.assign(content, { filename: fileName, body: caption.body });
    if (caption.formatted_body) Object.assign(content, { format: 'org.matrix.custom.html', formatted_body: caption.formatted_body });
  }
  if (part.kind === 'voice') {
    content[VOICE_KEY] = {};
    content[AUDIO_KEY] = {
      duration: isCount(part.durationMs) ? part.durationMs : 0,
      ...(Array.isArray(part.waveform) ? { waveform: matrixWaveform(part.waveform) } : {}),
    };
  }
  return { eventType: 'm.room.message', content };
}

function formatCoordinate(value: number): string {
  // 7 decimals is ~1 cm; toString() would write tiny values as 1e-9, which geo: does not allow
  const text = value.toFixed(7).replace(/\.?0+$/, '');
  return text === '-0' ? '0' : text;
}

function locationEvent(part: LocationPart): PartEvent {
  const { latitude, longitude } = part;
  const valid =
    Number.isFinite(latitude) && Number.isFinite(longitude) && Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180;
  if (!valid) return { eventType: 'm.room.message', content: undeliverableNotice('a location', 'Its coordinates are not valid.'), notice: true };
  const geoUri = `geo:${formatCoordinate(latitude)},${formatCoordinate(longitude)}`;
  const description = [part.name, part.address].filter((s): s is string => !!s).map((s) => cleanQuoted(s, 300)).join(', ');
  const content: LocationMessageContent = {
    msgtype: 'm.location',
    body: description ? `${description} (${geoUri})` : `Location ${geoUri}`,
    geo_uri: geoUri,
    [LOCATION_KEY]: { uri: geoUri, ...(description ? { description } : {}) },
    'm.mentions': {},
  };
  return { eventType: 'm.room.message', content };
}

/**
 * Matrix refuses events over 65,536 bytes (M_TOO_LARGE), and the homeserver's envelope
 * takes some of that. Past this budget the HTML goes first, then the text is cut, saying so.
 */
const MAX_TEXT_BYTES = 60_000;
/** Size as the event will carry it: JSON-escaped (a newline costs 2 bytes, a control character 6), UTF-8. */
const jsonBytes = (s: string): number => new TextEncoder().encode(JSON.stringify(s)).length - 2;

function fitText(text: { body: string; formatted_body?: string }): { body: string; formatted_body?: string } {
  if (jsonBytes(text.body) + jsonBytes(text.formatted_body ?? '') <= MAX_TEXT_BYTES) return text;
  if (jsonBytes(text.body) <= MAX_TEXT_BYTES) return { body: text.body };
  const chars = Array.from(text.body);
  let bytes = 0;
  let keep = 0;
  for (const ch of chars) {
    bytes += jsonBytes(ch);
    if (bytes > MAX_TEXT_BYTES - 500) break; // room for the note below
    keep++;
  }
  const kept = chars.slice(0, keep);
  const cut = chars.length - keep;
  return { body: `${kept.join('')}\n\n⚠️ The last ${cut} characters of this message were too long for Matrix and were not delivered.` };
}

function textEvent(part: TextPart): PartEvent {
  const text = fitText(remoteTextToMatrix(String(part.body ?? ''), part.format === 'markdown-wa' ? 'markdown-wa' : 'plain'));
  const content: TextMessageContent = { msgtype: 'm.text', body: text.body, 'm.mentions': {} };
  if (text.formatted_body) Object.assign(content, { format: 'org.matrix.custom.html', formatted_body: text.formatted_body });
  return { eventType: 'm.room.message', content };
}

/** Adjacent text parts of the same format read as one message, so they become one event. */
function mergeTexts(parts: readonly ContentPart[]): ContentPart[] {
  const merged: ContentPart[] = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if (part.type === 'text' && last?.type === 'text' && last.format === part.format) {
      merged[merged.length - 1] = { ...last, body: `${last.body}\n${part.body}` };
    } else merged.push(part);
  }
  return merged;
}

/**
 * For each part of `parts`, the index of the event partEvents makes it into (adjacent texts
 * share one). A retry uses it to fetch the media of exactly the events still missing.
 */
export function partEventIndex(parts: readonly ContentPart[]): number[] {
  const index: number[] = [];
  let event = -1;
  parts.forEach((part, i) => {
    const previous = parts[i - 1];
    const joins = i > 0 && part.type === 'text' && previous.type === 'text' && previous.format === part.format;
    if (!joins) event += 1;
    index.push(event);
  });
  return index;
}

/**
 * All parts of one remote message → Matrix event contents, in order. `media[i]` is the
 * upload result for `parts[i]` (indices of the parts as given, before merging texts).
 */
export function partEvents(parts: readonly ContentPart[], media: Readonly<Record<number, MediaUpload>> = {}): PartEvent[] {
  const indexOf = new Map(parts.map((p, i) => [p, i]));
  return mergeTexts(parts).map((part): PartEvent => {
    switch (part.type) {
      case 'text':
        return textEvent(part);
      case 'location':
        return locationEvent(part);
      case 'attachment': {
        const upload = media[indexOf.get(part) ?? -1];
        const source = mediaSource(upload);
        if (source) return attachmentEvent(part, source);
        const why = typeof upload === 'object' && 'failed' in upload ? upload.failed : 'The bridge could not fetch it from the network.';
        const what = ATTACHMENT_NAMES[part.kind] ?? 'an attachment';
        return { eventType: 'm.room.message', content: undeliverableNotice(what, why, part.caption), notice: true };
      }
      default: {
        const unknown = part as { type?: unknown };
        const what = `a message part of type "${cleanQuoted(String(unknown.type), 40)}"`;
        return { eventType: 'm.room.message', content: undeliverableNotice(what, 'This bridge does not know it.'), notice: true };
      }
    }
  });
}
