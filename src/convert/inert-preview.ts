/**
 * The preview of a message request (src/core/message-requests.ts): what an unknown sender
 * wrote, shown so that nothing in it works. An unknown number is where phishing comes from, so
 * a link must not be clickable, a Matrix ID must not turn into a pill, and `@room` must not
 * notify. Clients linkify plain text too (Element uses linkifyjs), so it is not enough to leave
 * links out of `formatted_body`: every span a linkifier would turn into a link is defanged in
 * the text itself ("example[.]com", "https[:]//…"), found with the same library Element uses.
 */
import { find } from 'linkifyjs';
import type { Content } from '../protocol/content';
import { ATTACHMENT_NAMES, cleanQuoted } from './notices';

/** longest preview, in characters, before defanging */
export const PREVIEW_MAX = 200;

/** Makes every link, e-mail address and Matrix mention in `text` inert, keeping it readable. */
export function defang(text: string): string {
  let out = '';
  let at = 0;
  for (const link of find(text)) {
    out += text.slice(at, link.start) + text.slice(link.start, link.end).replace(/\./g, '[.]').replace(/:\/\//g, '[:]//').replace(/@/g, '[@]');
    at = link.end;
  }
  out += text.slice(at);
  // what linkifiers miss but clients still act on: a room-wide mention, and Matrix IDs whose
  // server part is an IP or a name without a dot
  return out.replace(/@room\b/gi, '[@]room').replace(/(^|[^[\w])([@#!+])(?=[^\s:]+:)/g, '$1[$2]');
}

/** One line saying what the message is, with its text (cut and defanged); never empty. */
export function inertPreview(content: Content): string {
  let preview: string;
  if (content.kind === 'reaction') preview = `(a reaction: ${content.emoji})`;
  else if (content.kind !== 'message') preview = '(something this bridge cannot show)';
  else if (content.parts.length === 0) preview = '(a deleted message)';
  else {
    preview = content.parts
      .map((part) => {
        if (part.type === 'text') return part.body;
        if (part.type === 'location') return `(a location${part.name ? `: ${part.name}` : ''})`;
        return `(${ATTACHMENT_NAMES[part.kind]}${part.fileName ? `: ${part.fileName}` : ''})${part.caption ? ` ${part.caption}` : ''}`;
      })
      .join(' ');
    if (content.replaces) preview = `(an edit) ${preview}`;
  }
  // one line: a preview is no place for layout tricks
  return defang(cleanQuoted(preview.replace(/\s+/g, ' '), PREVIEW_MAX)) || '(an empty message)';
}
