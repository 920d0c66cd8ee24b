/**
 * WhatsApp-style markup → Matrix HTML.
 *
 * WhatsApp's rules, as its clients behave (there is no published grammar):
 *  - `*bold*`, `_italic_`, `~strike~`: the opening marker sits at the start of the text or
 *    after a non-word character and is followed by non-space; the closing marker follows
 *    non-space and is followed by the end or a non-word character. So `2*3*4` and
 *    `snake_case_names` stay literal, and `*_both_*` nests.
 *  - markers do not span lines, an unterminated marker is literal text;
 *  - ```` ```code``` ```` and `` `inline` `` are literal: no formatting inside;
 *  - `> ` at the start of a line quotes it.
 * We also keep URLs literal, because underscores and tildes are common in them and
 * WhatsApp does not format inside links either.
 *
 * Every character of the input is HTML-escaped before it reaches the output; the only
 * markup in the result is the tags this file writes.
 */

import { sanitizeMatrixHtml } from './sanitize';

export interface MatrixText {
  body: string;
  /** only set when the text has formatting; plain text needs no HTML */
  formatted_body?: string;
}

const TAG_FOR_MARKER: Record<string, string> = { '*': 'strong', _: 'em', '~': 'del' };
const URL_START = /^https?:\/\//i;

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const isWordChar = (ch: string | undefined): boolean => ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
const isSpace = (ch: string | undefined): boolean => ch !== undefined && /\s/u.test(ch);

/** A literal span (code or URL) starting at `i`: where it ends and how it renders. */
interface LiteralSpan {
  end: number;
  html: string;
}

function codeHtml(code: string): string {
  if (!code.includes('\n')) return `<code>${escapeHtml(code)}</code>`;
  // ```\ncode\n``` is the usual way to write a block; the edge newlines are not content
  const trimmed = code.replace(/^\n/, '').replace(/\n$/, '');
  return `<pre><code>${escapeHtml(trimmed)}</code></pre>`;
}

function literalSpanAt(text: string, i: number): LiteralSpan | undefined {
  if (text.startsWith('```', i)) {
    const close = text.indexOf('```', i + 3);
    if (close > i + 3 && text.slice(i + 3, close).trim() !== '') {
      return { end: close + 3, html: codeHtml(text.slice(i + 3, close)) };
    }
    return undefined;
  }
  if (text[i] === '`') {
    const close = text.indexOf('`', i + 1);
    const code = close > i + 1 ? text.slice(i + 1, close) : '';
    if (code.trim() !== '' && !code.includes('\n')) return { end: close + 1, html: codeHtml(code) };
    return undefined;
  }
  if (!isWordChar(text[i - 1]) && URL_START.test(text.slice(i, i + 8))) {
    let end = i;
    while (end < text.length && !isSpace(text[end])) end++;
    return { end, html: escapeHtml(text.slice(i, end)) };
  }
  return undefined;
}

function isOpener(text: string, i: number): boolean {
  const marker = text[i];
  const next = text[i + 1];
  return !isWordChar(text[i - 1]) && next !== undefined && !isSpace(next) && next !== marker;
}

/** The index of the marker that closes the one at `open`, skipping literal spans. */
function findCloser(text: string, open: number): number {
  const marker = text[open];
  let j = open + 1;
  while (j < text.length && text[j] !== '\n') {
    const span = literalSpanAt(text, j);
    if (span) {
      j = span.end;
      continue;
    }
    if (text[j] === marker && j > open + 1 && !isSpace(text[j - 1]) && !isWordChar(text[j + 1])) return j;
    j++;
  }
  return -1;
}

interface Rendered {
  html: string;
  formatted: boolean;
}

function renderQuote(text: string, start: number): { end: number; rendered: Rendered } {
  const lines: string[] = [];
  let i = start;
  while (i < text.length && text.startsWith('> ', i)) {
    const eol = text.indexOf('\n', i);
    const end = eol === -1 ? text.length : eol;
    lines.push(text.slice(i + 2, end));
    i = eol === -1 ? text.length : eol + 1;
  }
  const inner = renderInline(lines.join('\n'), false);
  return { end: i, rendered: { html: `<blockquote>${inner.html}</blockquote>`, formatted: true } };
}

function renderInline(text: string, allowQuotes: boolean): Rendered {
  let html = '';
  let formatted = false;
  // marker → position before which a search for its closer already failed; later openers
  // of that marker on the same line cannot succeed either, so long hostile lines stay linear
  const noCloserBefore: Record<string, number> = {};
  let i = 0;
  while (i < text.length) {
    const atLineStart = i === 0 || text[i - 1] === '\n';
    if (allowQuotes && atLineStart && text.startsWith('> ', i)) {
      const quote = renderQuote(text, i);
      html += quote.rendered.html;
      formatted = true;
      i = quote.end;
      continue;
    }
    const span = literalSpanAt(text, i);
    if (span) {
      html += span.html;
      formatted ||= span.html.startsWith('<');
      i = span.end;
      continue;
    }
    const ch = text[i];
    const tag = TAG_FOR_MARKER[ch];
    if (tag && i >= (noCloserBefore[ch] ?? 0) && isOpener(text, i)) {
      const close = findCloser(text, i);
      if (close === -1) {
        const eol = text.indexOf('\n', i);
        noCloserBefore[ch] = eol === -1 ? text.length : eol;
      } else {
        const inner = renderInline(text.slice(i + 1, close), false);
        html += `<${tag}>${inner.html}</${tag}>`;
        formatted = true;
        i = close + 1;
        continue;
      }
    }
    html += ch === '\n' ? '<br>' : escapeHtml(ch);
    i++;
  }
  return { html, formatted };
}

/** WhatsApp-style markup → HTML; `formatted` is false when the text had no markup at all. */
export function waMarkupToHtml(text: string): Rendered {
  return renderInline(text.replace(/\r\n?/g, '\n'), true);
}

/**
 * Remote text → Matrix `body` + `formatted_body`. The body keeps the markers as the
 * sender typed them: it is the plain-text fallback, and `*bold*` reads fine as plain text
 * (mautrix-whatsapp does the same).
 */
export function remoteTextToMatrix(text: string, format: 'plain' | 'markdown-wa'): MatrixText {
  if (format === 'plain') return { body: text };
  const rendered = waMarkupToHtml(text);
  return rendered.formatted ? { body: text, formatted_body: sanitizeMatrixHtml(rendered.html) } : { body: text };
}
