/**
 * The notice a room gets when something could not cross the bridge. Nothing is dropped
 * silently: people are told what did not arrive and why, in plain words.
 */
import type { AttachmentKind } from '../protocol/content';
import { escapeHtml } from './wa-markup';
import type { TextMessageContent } from './matrix-types';

const MAX_QUOTED = 500;

/** An m.notice from the bridge, with HTML when given; `m.mentions: {}` so it pings nobody. */
export function noticeContent(text: string, html?: string): Record<string, unknown> {
  return html === undefined
    ? { msgtype: 'm.notice', body: text, 'm.mentions': {} }
    : { msgtype: 'm.notice', body: text, format: 'org.matrix.custom.html', formatted_body: html, 'm.mentions': {} };
}

/** "a photo", "a voice message": how people call each kind of attachment. */
export const ATTACHMENT_NAMES: Record<AttachmentKind, string> = {
  image: 'a photo',
  video: 'a video',
  audio: 'an audio file',
  voice: 'a voice message',
  file: 'a file',
  sticker: 'a sticker',
};

/**
 * Text from the other side goes into a notice: drop control characters (they could
 * reorder or hide text) and cap the length, so a hostile sender cannot flood the room.
 */
export function cleanQuoted(text: string, max = MAX_QUOTED): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/**
 * An m.notice saying `what` was not delivered and `why`.
 * @param what e.g. "a poll"
 * @param why a full sentence, e.g. "This bridge cannot carry polls."
 * @param description what the sender's app said about it, quoted as given (untrusted)
 */
export function undeliverableNotice(what: string, why: string, description?: string): TextMessageContent {
  const quoted = description === undefined ? '' : cleanQuoted(description);
  const body = `⚠️ Not delivered: ${what}. ${why}` + (quoted ? `\nThe sender's app described it as: “${quoted}”` : '');
  const html =
    `⚠️ <strong>Not delivered:</strong> ${escapeHtml(what)}. ${escapeHtml(why)}` +
    (quoted ? `<br>The sender's app described it as: “${escapeHtml(quoted)}”` : '');
  return { msgtype: 'm.notice', body, format: 'org.matrix.custom.html', formatted_body: html, 'm.mentions': {} };
}
