/**
 * Matrix media content (m.image/m.video/m.audio/m.file, m.sticker) → a description of the
 * attachment for the remote side. The caller fetches `mxcUrl`, encrypts and uploads it,
 * and fills in mediaId/key/digest (see completeMediaMessage).
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

const MXC = /^mxc:\/\/[A-Za-z0-9.:[\]-]+\/[A-Za-z0-9_-]+$/;

export function mediaAttachment(
  content: Json,
  sticker: boolean,
): { attachment: PendingAttachment } | { what: string; problem: string } {
  const voice = content.msgtype === 'm.audio' && isObject(content[VOICE_KEY]);
  const kind: AttachmentKind = sticker ? 'sticker' : voice ? 'voice' : KIND_BY_MSGTYPE[str(content.msgtype) ?? ''] ?? 'file';
  const what = ATTACHMENT_NAMES[kind];
  const file = isObject(content.file) ? (content.file as unknown as EncryptedFile) : undefined;
  const mxcUrl = str(content.url) ?? (file ? str(file.url) : undefined);
  if (!mxcUrl || !MXC.test(mxcUrl)) return { what, problem: 'It has no valid mxc:// media URL.' };

  const info = isObject(content.info) ? content.info : {};
  const audio = isObject(content[AUDIO_KEY]) ? content[AUDIO_KEY] : {};
  const mime = str(info.mimetype);
  const body = str(content.body);
  const fileName = str(content.filename) ?? body;
  const attachment: PendingAttachment = {
    kind,
    mxcUrl,
    mimeType: mime && /^[\w.+-]+\/[\w.+-]+$/.test(mime) ? mime.toLowerCase() : DEFAULT_MIME[kind],
  };
  if (file) attachment.encryptedFile = file;
  if (fileName && !(voice && fileName === 'Voice message')) attachment.fileName = cleanQuoted(fileName, 255);
  const size = count(info.size);
  if (size !== undefined) attachment.size = size;
  const duration = count(audio.duration) ?? count(info.duration);
  if (duration !== undefined && kind !== 'image' && kind !== 'file' && kind !== 'sticker') attachment.durationMs = duration;
  const waveform = voice ? remoteWaveform(audio.waveform) : undefined;
  if (waveform) attachment.waveform = waveform;
  const width = count(info.w);
  const height = count(info.h);
  if (width !== undefined) attachment.width = width;
  if (height !== undefined) attachment.height = height;
  return { attachment };
}
