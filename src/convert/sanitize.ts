/**
 * Sanitises HTML the bridge puts into Matrix `formatted_body`, down to the tags and
 * attributes the Matrix spec (client-server API, m.room.message msgtypes, v1.13) lists as
 * safe. The bridge builds its own HTML from escaped text, so this is defence in depth:
 * whatever a future change or a hostile sender manages to smuggle in, Matrix clients only
 * ever receive the spec's allow-list. Done by sanitize-html (a real parser), not regexes.
 */
import sanitizeHtml from 'sanitize-html';

const MATRIX_ALLOWED_TAGS = [
  'font', 'del', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'p', 'a', 'ul', 'ol', 'sup',
  'sub', 'li', 'b', 'i', 'u', 'strong', 'em', 's', 'code', 'hr', 'br', 'div', 'table', 'thead',
  'tbody', 'tr', 'th', 'td', 'caption', 'pre', 'span', 'img', 'details', 'summary',
];

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: MATRIX_ALLOWED_TAGS,
  allowedAttributes: {
    font: ['data-mx-bg-color', 'data-mx-color', 'color'],
    span: ['data-mx-bg-color', 'data-mx-color', 'data-mx-spoiler', 'data-mx-maths'],
    div: ['data-mx-maths'],
    a: ['name', 'target', 'href'],
    img: ['width', 'height', 'alt', 'title', 'src'],
    ol: ['start'],
    code: ['class'],
  },
  allowedClasses: { code: ['language-*'] },
  allowedSchemes: ['https', 'http', 'ftp', 'mailto', 'magnet', 'matrix'],
  // images only from the homeserver's media repository: no tracking pixels
  allowedSchemesByTag: { img: ['mxc'] },
  allowProtocolRelative: false,
  // spec v1.10 deprecated <strike> in favour of <s>
  transformTags: { strike: 's' },
  // text of removed tags stays (escaped); script/style content goes entirely
  disallowedTagsMode: 'discard',
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'mx-reply', 'template', 'title', 'head'],
};

export function sanitizeMatrixHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS);
}
