/**
 * The Matrix event content shapes the converters read and write, from the Matrix
 * client-server spec (v1.13: m.room.message msgtypes, m.sticker, m.reaction, relations,
 * receipts, typing) plus the unstable fields Element and other clients use for voice
 * messages (MSC3245 voice flag, MSC1767 audio duration + MSC3246 waveform) and locations
 * (MSC3488). Incoming events are untrusted: every reader in convert/ checks field types at
 * run time instead of trusting these interfaces.
 */

export const HTML_FORMAT = 'org.matrix.custom.html';
export const VOICE_KEY = 'org.matrix.msc3245.voice';
export const AUDIO_KEY = 'org.matrix.msc1767.audio';
export const LOCATION_KEY = 'org.matrix.msc3488.location';
/** MSC3246: waveform amplitudes are integers 0..1024. */
export const MATRIX_WAVEFORM_MAX = 1024;

/** `m.relates_to`; which fields are set depends on the relation. */
export interface RelatesTo {
  rel_type?: 'm.replace' | 'm.annotation' | 'm.thread' | 'm.reference' | string;
  event_id?: string;
  /** m.annotation: the reaction key (an emoji for WhatsApp-style reactions) */
  key?: string;
  'm.in_reply_to'?: { event_id: string };
  /** m.thread: true when m.in_reply_to is only there for clients without threads */
  is_falling_back?: boolean;
}

export interface ThumbnailInfo {
  mimetype?: string;
  size?: number;
  w?: number;
  h?: number;
}

/** `info` of media messages and stickers. `duration` is in milliseconds. */
export interface MediaInfo extends ThumbnailInfo {
  duration?: number;
  thumbnail_url?: string;
  thumbnail_info?: ThumbnailInfo;
}

/** Media in encrypted rooms carries `file` instead of `url`. */
export interface EncryptedFile {
  url: string;
  key: { kty: 'oct'; key_ops: string[]; alg: 'A256CTR'; k: string; ext: true };
  iv: string;
  hashes: Record<string, string>;
  v: 'v2';
}

interface MessageBase {
  body: string;
  format?: typeof HTML_FORMAT;
  formatted_body?: string;
  'm.relates_to'?: RelatesTo;
  /** intentional mentions (spec v1.7); the bridge sends `{}` so bridged text never pings by accident */
  'm.mentions'?: { user_ids?: string[]; room?: boolean };
  /** only on edits: the full content that replaces the original */
  'm.new_content'?: RoomMessageContent;
}

export interface TextMessageContent extends MessageBase {
  msgtype: 'm.text' | 'm.notice' | 'm.emote';
}

export interface MediaMessageContent extends MessageBase {
  msgtype: 'm.image' | 'm.video' | 'm.audio' | 'm.file';
  /** Matrix 1.10 media captions: when `filename` is set and differs from `body`, body is the caption. */
  filename?: string;
  url?: string;
  file?: EncryptedFile;
  info?: MediaInfo;
  /** MSC3245: present (an empty object) on voice messages */
  [VOICE_KEY]?: Record<string, never>;
  /** MSC1767 audio: duration in milliseconds, MSC3246 waveform 0..1024 */
  [AUDIO_KEY]?: { duration: number; waveform?: number[] };
}

export interface LocationMessageContent extends MessageBase {
  msgtype: 'm.location';
  /** RFC 5870 geo: URI, e.g. `geo:52.52,13.405` */
  geo_uri: string;
  info?: MediaInfo;
  [LOCATION_KEY]?: { uri: string; description?: string };
}

export type RoomMessageContent = TextMessageContent | MediaMessageContent | LocationMessageContent;

/** Content of an `m.sticker` event (not an m.room.message msgtype). */
export interface StickerContent {
  body: string;
  /** `file` instead in an encrypted room */
  url?: string;
  file?: EncryptedFile;
  info: MediaInfo;
  'm.relates_to'?: RelatesTo;
  'm.mentions'?: { user_ids?: string[]; room?: boolean };
}

/** Content of an `m.reaction` event. */
export interface ReactionEventContent {
  'm.relates_to': { rel_type: 'm.annotation'; event_id: string; key: string };
}

/**
 * A room event as the appservice receives it. `content` is left loose on purpose: it
 * comes from other servers and clients, so convert/ validates it field by field.
 */
export interface MatrixRoomEvent {
  type: string;
  event_id?: string;
  sender?: string;
  room_id?: string;
  origin_server_ts?: number;
  state_key?: string;
  /** redactions before room version 11 carry the target here; v11 moved it into content */
  redacts?: string;
  content: Record<string, unknown>;
}

