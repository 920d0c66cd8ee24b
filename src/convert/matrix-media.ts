/**
 * Matrix media content (m.image/m.video/m.audio/m.file, m.sticker) → a description of the
 * attachment for the remote side. The caller fetches `mxcUrl`, encrypts and uploads it,
 * and fills in mediaId/key/digest (see completeMediaMessage).
 *
 * What comes out always fits the content schema (src/protocol/schemas/content.ts): a value
 * the bridge can make valid is made valid (a long file name shortened, a width of 0 dropped),
 * because content the validator refuses could never be sent, however often it is retried.
 */
import type { AttachmentKind, AttachmentPart } from '../protocol/content';
import { AUDIO_KEY, VOICE_KEY, type EncryptedFile } from './matrix-types';
import { count, isObject, str, type Json } from './matrix-read';
import { ATTACHMENT_NAMES, cleanQuoted } from './notices';

/** Remote waveforms are 0..1023 (the contract); Matrix sends 0..1024 (MSC3246). */
const REMOTE_WAVEFORM_MAX = 1023;
const MAX_WAVEFORM_SAMPLES = 256;

export type PendingAttachment = Omit<AttachmentPart, 'type' | 'mediaId' | 'key' | 'digest' | 'size'> & {
  /** where to download the bytes */
  mxcUrl: string;
  /** set for media from encrypted rooms: the caller must decrypt the download with it */
  encryptedFile?: EncryptedFile;
  /** what the sender claimed; the caller uses the real downloaded size */
  size?: number;
};

const KIND_BY_MSGTYPE: Record<string, AttachmentKind> = {
  'm.image': 'image', 'm.video': 'video', 'm.audio': 'audio', 'm.file': 'file',
};
const DEFAULT_MIME: Record<AttachmentKind, string> = {
  image: 'image/jpeg', video: 'video/mp4', audio: 'audio/ogg', voice: 'audio/ogg', file: 'application/octet-stream', sticker: 'image/png',
};

function remoteWaveform(value: unknown): number[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const samples = value.length > MAX_WAVEFORM_SAMPLES
    ? Array.from({ length: MAX_WAVEFORM_SAMPLES }, (_, k) => value[Math.floor((k * value.length) / MAX_WAVEFORM_SAMPLES)])
    : value;
  return samples.map((v: unknown) =>
    typeof v === 'number' && Number.isFinite(v) ? Math.min(REMOTE_WAVEFORM_MAX, Math.max(0, Math.round(v))) : 0);
}

/** limits of the content schema (attachmentPart) */
const MAX_FILE_NAME = 255;
const MAX_MIME_TYPE = 255;
const MAX_DIMENSION = 100_000;
/** an extension longer than this is part of the name, not worth keeping whole */
const MAX_EXTENSION = 16;

/** The first `max` code points of `text` (the schema counts code points, not UTF-16 units). */
export function firstCodePoints(text: string, max: number): string {
  const points = [...text];
  return points.length <= max ? text : points.slice(0, max).join('');
}

/** A file name cleaned of control characters and shortened to the schema's limit, keeping
 *  its extension ("a-very-long-name….pdf"). */
export function fitFileName(name: string): string | undefined {
  const clean = cleanQuoted(name, Number.MAX_SAFE_INTEGER);
  if (clean === '') return undefined;
  if ([...clean].length <= MAX_FILE_NAME) return clean;
  const dot = clean.lastIndexOf('.');
  const extension = dot > 0 && clean.length - dot <= MAX_EXTENSION ? clean.slice(dot) : '';
  const stem = extension ? clean.slice(0, dot) : clean;
  return `${firstCodePoints(stem, MAX_FILE_NAME - 1 - [...extension].length)}…${extension}`;
}

/** a width or height the schema accepts (1..100000), else undefined: the dimension is dropped */
const dimension = (v: unknown): number | undefined => {
  const n = count(v);
  return n !== undefined && n >= 1 && n <= MAX_DIMENSION ? n : undefined;
};

const MXC = /^mxc:\/\/[A-Za-z0-9.:[\]-]+\/[A-Za-z0-9_-]+$/;

export function mediaAttachment(
  content: Json,
  sticker: boolean,
): { attachment: PendingAttachment } | { what: string; problem: string } {
  const voice = content.msgtype === 'm.audio' && isObject(content[VOICE_KEY]);
  const kind: AttachmentKind = sticker ? 'sticker' : voice ? 'voice' : KIND_BY_MSGTYPE[str(content.msgtype) ?? ''] ?? 'file';
  const what = ATTACHMENT_NAMES[kind];
  const file = isObject(content.file) ? (content.file as unknown as EncryptedFile) : undefined;
  // with `file`, the sender meant the file encrypted: a `url` beside it is not what to fetch
  const mxcUrl = file ? str(file.url) : str(content.url);
  if (!mxcUrl || !MXC.test(mxcUrl)) return { what, problem: 'It has no valid mxc:// media URL.' };

  const info = isObject(content.info) ? content.info : {};
  const audio = isObject(content[AUDIO_KEY]) ? content[AUDIO_KEY] : {};
  const mime = str(info.mimetype);
  const body = str(content.body);
  const fileName = str(content.filename) ?? body;
  const attachment: PendingAttachment = {
    kind,
    mxcUrl,
    mimeType: mime && mime.length <= MAX_MIME_TYPE && /^[\w.+-]+\/[\w.+-]+$/.test(mime) ? mime.toLowerCase() : DEFAULT_MIME[kind],
  };
  if (file) attachment.encryptedFile = file;
  const fitted = fileName === undefined ? undefined : fitFileName(fileName);
  if (fitted && !(voice && fitted === 'Voice message')) attachment.fileName = fitted;
  const size = count(info.size);
  if (size !== undefined) attachment.size = size;
  const duration = count(audio.duration) ?? count(info.duration);
  if (duration !== undefined && kind !== 'image' && kind !== 'file' && kind !== 'sticker') attachment.durationMs = duration;
  const waveform = voice ? remoteWaveform(audio.waveform) : undefined;
  if (waveform) attachment.waveform = waveform;
  const width = dimension(info.w);
  const height = dimension(info.h);
  if (width !== undefined) attachment.width = width;
  if (height !== undefined) attachment.height = height;
  return { attachment };
}
