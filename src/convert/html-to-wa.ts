/**
 * Matrix `formatted_body` HTML → WhatsApp-style markup, through a real HTML parser
 * (htmlparser2). Text is taken from text nodes only (entities decoded by the parser), so
 * no tag, attribute or script can reach the remote side: the result is plain text with
 * WhatsApp markers, never HTML.
 *
 * strong/b → *…*, em/i → _…_, del/s/strike → ~…~, code → `…`, pre → ```…```,
 * a → "text (url)" when the text is not the URL, br/p/div → newlines, lists → "- " and
 * "1. " lines, blockquote → "> " lines, <mx-reply> (a reply fallback) dropped, script and
 * the like dropped with their content, anything else reduced to its text.
 */
import { parseDocument } from 'htmlparser2';
import { TextWriter } from './text-writer';

type DomNode = ReturnType<typeof parseDocument>['children'][number];
type DomElement = Extract<DomNode, { attribs: Record<string, string> }>;
type DomText = Extract<DomNode, { type: 'text' }>;

// Our own guards on the node `type` (domelementtype values): the DomUtils helpers differ
// between the domutils versions htmlparser2 may resolve to.
const isText = (node: DomNode): node is DomText => node.type === 'text';
const isTag = (node: DomNode): node is DomElement =>
  node.type === 'tag' || node.type === 'script' || node.type === 'style';

export interface WaText {
  text: string;
  /** 'plain' when the HTML had no formatting that WhatsApp markup can express */
  format: 'plain' | 'markdown-wa';
}

/** Elements whose content is not message text (or is a reply fallback): dropped whole. */
const DROPPED = new Set([
  'mx-reply', 'script', 'style', 'head', 'title', 'template', 'noscript', 'iframe', 'object',
  'embed', 'svg', 'math', 'textarea', 'select', 'button',
]);
const MARKER_FOR_TAG: Record<string, string> = {
  strong: '*', b: '*', em: '_', i: '_', del: '~', s: '~', strike: '~',
};
const PARAGRAPHS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'hr']);
const LINES = new Set([
  'div', 'section', 'article', 'header', 'footer', 'details', 'summary', 'dl', 'dt', 'dd',
  'figure', 'figcaption', 'address', 'center', 'caption', 'thead', 'tbody', 'tfoot', 'li',
]);
/** Deeper nesting than this is hostile or broken; it is flattened to text instead of recursed. */
const MAX_DEPTH = 64;

interface Context {
  markers: ReadonlySet<string>;
  listDepth: number;
  depth: number;
  state: { formatted: boolean };
}

/** Text of a subtree without recursion (safe on any depth), skipping dropped elements. */
function flatText(root: DomNode, keepNewlines: boolean): string {
  let text = '';
  const stack: DomNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as DomNode;
    if (isText(node)) text += node.data;
    else if (isTag(node)) {
      if (DROPPED.has(node.name)) continue;
      if (node.name === 'br') text += keepNewlines ? '\n' : ' ';
      for (let k = node.children.length - 1; k >= 0; k--) stack.push(node.children[k]);
    }
  }
  return text;
}

function renderInto(nodes: DomNode[], ctx: Context): TextWriter {
  const writer = new TextWriter();
  for (const node of nodes) renderNode(node, writer, ctx);
  return writer;
}

/** Put a child writer's text into `w`, keeping the spaces it had at either end outside. */
function embed(w: TextWriter, inner: TextWriter, text: string): void {
  if (inner.leadingSpace) w.space();
  w.literal(text);
  if (inner.trailingSpace) w.space();
}

/** Markers must hug text and cannot span lines, so each line is wrapped on its own. */
function wrapLines(text: string, marker: string): string {
  return text
    .split('\n')
    .map((line) => (line.trim() === '' ? line : line.replace(/^(\s*)(.*?)(\s*)$/su, `$1${marker}$2${marker}$3`)))
    .join('\n');
}

function renderFormatting(el: DomElement, w: TextWriter, ctx: Context, marker: string): void {
  if (ctx.markers.has(marker)) {
    for (const child of el.children) renderNode(child, w, ctx);
    return;
  }
  const inner = renderInto(el.children, { ...ctx, markers: new Set([...ctx.markers, marker]) });
  if (inner.isEmpty) {
    if (inner.leadingSpace) w.space();
    return;
  }
  ctx.state.formatted = true;
  embed(w, inner, wrapLines(inner.toString(), marker));
}

function safeHref(href: string | undefined): string | undefined {
  const trimmed = (href ?? '').trim();
  return /^(https?:\/\/|mailto:)/i.test(trimmed) ? trimmed : undefined;
}

function renderLink(el: DomElement, w: TextWriter, ctx: Context): void {
  const inner = renderInto(el.children, ctx);
  const text = inner.toString();
  const href = safeHref(el.attribs.href);
  let shown = text;
  // matrix.to links are mentions and room pills: their text is the name, the URL is noise
  const isPill = href !== undefined && /^https:\/\/matrix\.to\/#\//i.test(href);
  if (href !== undefined && !isPill) {
    const plainHref = href.replace(/^mailto:/i, '');
    if (text === '') shown = plainHref;
    else if (text !== href && text !== plainHref && `${text}/` !== href) shown = `${text} (${href})`;
  }
  embed(w, inner, shown);
}

function renderList(el: DomElement, w: TextWriter, ctx: Context, ordered: boolean): void {
  const start = Number.parseInt(el.attribs.start ?? '1', 10);
  let number = Number.isSafeInteger(start) && start >= 0 ? start : 1;
  const lines: string[] = [];
  const itemCtx = { ...ctx, listDepth: ctx.listDepth + 1 };
  for (const child of el.children) {
    if (isText(child) && child.data.trim() === '') continue;
    const inner = renderInto(isTag(child) && child.name === 'li' ? child.children : [child], itemCtx);
    if (inner.isEmpty) continue;
    const prefix = ordered ? `${number++}. ` : '- ';
    const [first, ...rest] = inner.toString().split('\n');
    lines.push(prefix + first, ...rest.map((line) => (line === '' ? '' : ' '.repeat(prefix.length) + line)));
  }
  if (lines.length === 0) return;
  w.block(ctx.listDepth > 0 ? 1 : 2);
  w.literal(lines.join('\n'));
  w.block(ctx.listDepth > 0 ? 1 : 2);
}

function renderBlockquote(el: DomElement, w: TextWriter, ctx: Context): void {
  const inner = renderInto(el.children, ctx);
  if (inner.isEmpty) return;
  ctx.state.formatted = true;
  w.block(1);
  w.literal(inner.toString().split('\n').map((line) => `> ${line}`).join('\n'));
  w.block(1);
}

function renderCode(el: DomElement, w: TextWriter, ctx: Context, block: boolean): void {
  let code = flatText(el, block);
  if (block) code = code.replace(/\n$/, '');
  else code = code.replace(/\n/g, ' ');
  if (code.trim() === '') return;
  ctx.state.formatted = true;
  if (block) w.block(2);
  w.literal(block ? `\`\`\`${code}\`\`\`` : `\`${code}\``);
  if (block) w.block(2);
}

function renderRow(el: DomElement, w: TextWriter, ctx: Context): void {
  const cells = el.children
    .filter((cell): cell is DomElement => isTag(cell) && (cell.name === 'td' || cell.name === 'th'))
    .map((cell) => renderInto(cell.children, ctx).toString());
  w.block(1);
  w.literal(cells.join(' | '));
  w.block(1);
}

function renderElement(el: DomElement, w: TextWriter, ctx: Context): void {
  const name = el.name;
  const marker = MARKER_FOR_TAG[name];
  if (marker !== undefined) return renderFormatting(el, w, ctx, marker);
  switch (name) {
    case 'br': return w.lineBreak();
    case 'a': return renderLink(el, w, ctx);
    case 'ul': return renderList(el, w, ctx, false);
    case 'ol': return renderList(el, w, ctx, true);
    case 'blockquote': return renderBlockquote(el, w, ctx);
    case 'pre': return renderCode(el, w, ctx, true);
    case 'code': return renderCode(el, w, ctx, false);
    case 'tr': return renderRow(el, w, ctx);
    case 'img': return w.text(el.attribs.alt ?? el.attribs.title ?? '');
  }
  const gap = PARAGRAPHS.has(name) ? 2 : LINES.has(name) ? 1 : 0;
  if (gap > 0) w.block(gap);
  if (name === 'hr') w.literal('---');
  else if (/^h[1-6]$/.test(name)) renderFormatting(el, w, ctx, '*');
  else for (const child of el.children) renderNode(child, w, ctx);
  if (gap > 0) w.block(gap);
}

function renderNode(node: DomNode, w: TextWriter, ctx: Context): void {
  if (isText(node)) return w.text(node.data);
  if (!isTag(node) || DROPPED.has(node.name)) return; // comments, doctype, dropped
  if (ctx.depth >= MAX_DEPTH) return w.text(flatText(node, false));
  renderElement(node, w, { ...ctx, depth: ctx.depth + 1 });
}

/** Matrix HTML → WhatsApp-style markup (plain text when nothing was formatted). */
export function htmlToWaMarkup(html: string): WaText {
  const doc = parseDocument(html, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
  const ctx: Context = { markers: new Set(), listDepth: 0, depth: 0, state: { formatted: false } };
  const text = renderInto(doc.children, ctx).toString();
  return { text, format: ctx.state.formatted ? 'markdown-wa' : 'plain' };
}
