import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { htmlToWaMarkup } from '../../../src/convert/html-to-wa';
import { waMarkupToHtml } from '../../../src/convert/wa-markup';

const wa = (html: string) => htmlToWaMarkup(html).text;

describe('Matrix HTML → WhatsApp markup', () => {
  it('maps the formatting tags to markers', () => {
    assert.deepEqual(htmlToWaMarkup('<strong>b</strong> <b>b2</b> <em>i</em> <i>i2</i> <del>d</del> <s>s</s> <strike>k</strike>'), {
      text: '*b* *b2* _i_ _i2_ ~d~ ~s~ ~k~',
      format: 'markdown-wa',
    });
    assert.equal(wa('<strong><em>both</em></strong>'), '*_both_*');
    assert.equal(wa('<b>a <b>nested</b> b</b>'), '*a nested b*');
  });

  it('keeps spaces outside the markers so they still hug the text', () => {
    assert.equal(wa('a<strong> bold </strong>b'), 'a *bold* b');
    assert.equal(wa('<em>  </em>x'), 'x');
  });

  it('wraps each line separately, because markers do not span lines', () => {
    assert.equal(wa('<strong>one<br>two</strong>'), '*one*\n*two*');
  });

  it('renders code literally, without markers inside', () => {
    assert.equal(wa('run <code>a *b* &lt;c&gt;</code>'), 'run `a *b* <c>`');
    assert.equal(wa('<pre><code class="language-ts">const x = 1;\n  if (a) { b(); }\n</code></pre>'), '```const x = 1;\n  if (a) { b(); }```');
    assert.equal(wa('<pre><code><b>no</b> format</code></pre>'), '```no format```');
  });

  it('shows links as "text (url)" unless the text is the URL', () => {
    assert.equal(wa('<a href="https://example.org/docs">the docs</a>'), 'the docs (https://example.org/docs)');
    assert.equal(wa('<a href="https://example.org">https://example.org</a>'), 'https://example.org');
    assert.equal(wa('<a href="mailto:a@example.org">a@example.org</a>'), 'a@example.org');
    assert.equal(wa('<a href="https://matrix.to/#/@alice:example.org">Alice</a>: hi'), 'Alice: hi');
    assert.equal(wa('<a href="javascript:alert(1)">click</a>'), 'click');
  });

  it('turns paragraphs, breaks and divs into newlines without stray blank lines', () => {
    assert.deepEqual(htmlToWaMarkup('<p>first</p>\n<p>second\nline</p>\n'), { text: 'first\n\nsecond line', format: 'plain' });
    assert.equal(wa('a<br>b<br><br>c'), 'a\nb\n\nc');
    assert.equal(wa('<div>x</div><div>y</div>'), 'x\ny');
    assert.equal(wa('<br><br><p>  lone  </p><br>'), 'lone');
  });

  it('renders lists as "- " and numbered lines, nested lists indented', () => {
    assert.equal(wa('<ul><li>one</li><li>two<ul><li>sub</li></ul></li></ul><p>after</p>'), '- one\n- two\n  - sub\n\nafter');
    assert.equal(wa('<ol start="9"><li>nine</li><li>ten</li></ol>'), '9. nine\n10. ten');
    assert.equal(wa('<ol start="oops"><li>a</li></ol>'), '1. a');
  });

  it('renders blockquotes as "> " lines', () => {
    assert.deepEqual(htmlToWaMarkup('<blockquote><p>q1</p><p>q2</p></blockquote><p>reply</p>'), {
      text: '> q1\n> \n> q2\n\nreply',
      format: 'markdown-wa',
    });
  });

  it('strips the <mx-reply> fallback with its quoted content', () => {
    const html =
      '<mx-reply><blockquote><a href="https://matrix.to/#/!r:hs/$e">In reply to</a> ' +
      '<a href="https://matrix.to/#/@bob:hs">@bob:hs</a><br>secret old text</blockquote></mx-reply>my <b>answer</b>';
    assert.deepEqual(htmlToWaMarkup(html), { text: 'my *answer*', format: 'markdown-wa' });
  });

  it('reduces everything else to text and drops scripts, styles and attributes', () => {
    const html =
      '<span data-mx-color="#f00" onclick="x()">red</span> <u>under</u> <h2>Head</h2>' +
      '<script>alert(1)</script><style>b{}</style><img src="mxc://hs/e" alt=":party:"><!-- comment -->' +
      '<table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table><hr><iframe>frame text</iframe>';
    assert.equal(wa(html), 'red under\n\n*Head*\n\n:party:\n\nk | v\na | 1\n\n---');
  });

  it('decodes entities into text and never lets markup through', () => {
    assert.deepEqual(htmlToWaMarkup('&lt;b&gt;not bold&lt;/b&gt; &amp; &#x1F600;'), { text: '<b>not bold</b> & 😀', format: 'plain' });
  });

  it('survives malformed and hostile HTML', () => {
    assert.equal(wa('<b>unclosed <i>tags'), '*unclosed _tags_*');
    assert.equal(wa('</p></b>stray closers<'), 'stray closers<');
    const deep = '<b><i>'.repeat(5000) + 'deep' + '</i></b>'.repeat(5000);
    assert.equal(wa(deep), '*_deep_*');
    const wide = '<p>x</p>'.repeat(20000);
    assert.equal(wa(wide).split('\n\n').length, 20000);
  });
});

describe('round trips', () => {
  for (const text of ['*bold* and _italic_ and ~strike~', '*_both_*', 'code `x*y*z` here', '> quoted\nreply', 'plain words']) {
    it(`WhatsApp → HTML → WhatsApp keeps "${text.replace(/\n/g, '\\n')}"`, () => {
      const { html } = waMarkupToHtml(text);
      assert.equal(htmlToWaMarkup(html).text, text);
    });
  }
});
