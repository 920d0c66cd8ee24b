/**
 * Message content carried inside the Signal ciphertext (or in plaintext for providers
 * without end-to-end encryption). Shaped by the IETF MIMI content format: every message
 * has an ID and a timestamp; edits name what they replace; replies name what they answer;
 * a delete is a message that replaces another with no parts; reactions are their own kind.
 *
 * This file is the contract shared by the interop client library, the gateway's
 * plaintext provider, the reference simulated users and the bridge's converters.
 * Keep it free of I/O and of Matrix or connector imports.
 */

/** Text part. `format` says how to read `body`: plain text, or WhatsApp-style markup
 *  (`*bold*`, `_italic_`, `~strike~`, ```` ```code``` ````, `` `inline` ``). */
export interface TextPart {
  type: 'text';
  body: string;
  format: 'plain' | 'markdown-wa';
}

/** What kind of media an attachment is, so the receiver can render it properly. */
export type AttachmentKind = 'image' | 'video' | 'audio' | 'voice' | 'file' | 'sticker';

/**
 * Reference to an encrypted blob in the network's media store. The blob is
 * secretbox-encrypted with `key` (libsodium, fresh key per attachment); `digest` is the
 * SHA-256 of the encrypted blob, checked before decrypting.
 */
export interface AttachmentPart {
  type: 'attachment';
  kind: AttachmentKind;
  mediaId: string;
  /** base64 of the 32-byte secretbox key; the blob is nonce (24) || tag (16) || ciphertext */
  key: string;
  /** base64 of the SHA-256 of the encrypted blob */
  digest: string;
  /** size of the plaintext in bytes (the stored blob is 40 bytes longer) */
  size: number;
  mimeType: string;
  fileName?: string;
  /** caption shown with the media, plain or WhatsApp-style markup */
  caption?: string;
  durationMs?: number;
  /** voice notes: amplitude samples 0..1023 (as in MSC3246) */
  waveform?: number[];
  width?: number;
  height?: number;
}

export interface LocationPart {
  type: 'location';
  latitude: number;
  longitude: number;
  name?: string;
  address?: string;
}

export type ContentPart = TextPart | AttachmentPart | LocationPart;

/** One hop of the message's whole path, crossed or still to cross, with its protection and
 *  where the content is readable once it is crossed (see docs/security.md). */
export interface HopTrailEntry {
  from: string;
  to: string;
  protection: 'e2e-signal' | 'e2e-megolm' | 'transport' | 'none';
  plaintextAt?: string[];
}

interface ContentBase {
  /** unique per sender, chosen by the sender */
  messageId: string;
  /** sender's clock, milliseconds since the epoch */
  timestamp: number;
  /** set when the sender sits behind a bridge: every hop of the message's path, with its
   *  protection and where the content was readable (docs/security.md) */
  hopTrail?: HopTrailEntry[];
}

/** An ordinary message; with `replaces` it is an edit, with no parts and `replaces` a delete. */
export interface MessageContent extends ContentBase {
  kind: 'message';
  parts: ContentPart[];
  inReplyTo?: string;
  replaces?: string;
}

/** A reaction to `target`; `emoji` empty removes the sender's reaction. */
export interface ReactionContent extends ContentBase {
  kind: 'reaction';
  target: string;
  emoji: string;
}

/** Anything this protocol version does not define (a poll, say). Receivers must show that
 *  something arrived that they cannot display, rather than dropping it silently. */
export interface UnsupportedContent extends ContentBase {
  kind: 'unsupported';
  /** what the sender's client called it, e.g. "poll" */
  original: string;
  /** human-readable fallback */
  fallbackText?: string;
}

export type Content = MessageContent | ReactionContent | UnsupportedContent;

/** A delete is a message that replaces its target with no parts (MIMI). */
export function isDelete(content: Content): content is MessageContent & { replaces: string } {
  return content.kind === 'message' && content.replaces !== undefined && content.parts.length === 0;
}

/** An edit is a message that replaces its target with new parts. */
export function isEdit(content: Content): content is MessageContent & { replaces: string } {
  return content.kind === 'message' && content.replaces !== undefined && content.parts.length > 0;
}
