import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { remoteTextToMatrix, waMarkupToHtml } from '../../../src/convert/wa-markup';
import { sanitizeMatrixHtml } from '../../../src/convert/sanitize';

const html = (text: string) => waMarkupToHtml(text).html;

describe('WhatsApp markup → Matrix HTML', () => {
  it('renders bold, italic, strike, inline code and code blocks', () => {
    assert.equal(html('*bold* _italic_ ~gone~'), '<strong>bold</strong> <em>italic</em> <del>gone</del>');
    assert.equal(html('run `npm test` now'), 'run <code>npm test</code> now');
    assert.equal(html('```\nconst a = 1;\nb()\n```'), '<pre><code>const a = 1;\nb()</code></pre>');
    assert.equal(html('inline ```mono``` text'), 'inline <code>mono</code> text');
  });

  it('leaves markers that do not hug text at word boundaries alone', () => {
    for (const text of ['2*3*4', 'snake_case_names', 'x*y* z', 'foo_bar_ baz', 'a~b~', 'a * b * c', '* not bold *', 'x~y~z', 'file_name_v2.txt']) {
      assert.deepEqual(waMarkupToHtml(text), { html: text, formatted: false }, text);
    }
  });

  it('nests different markers and accepts punctuation around them', () => {
    assert.equal(html('*_bold italic_*'), '<strong><em>bold italic</em></strong>');
    assert.equal(html('_*also*_'), '<em><strong>also</strong></em>');
    assert.equal(html('(*yes*), really!'), '(<strong>yes</strong>), really!');
    assert.equal(html('*a _b_ c*'), '<strong>a <em>b</em> c</strong>');
  });

  it('keeps unterminated markers literal and never formats across lines', () => {
    assert.equal(html('*unterminated'), '*unterminated');
    assert.equal(html('_half'), '_half');
    assert.equal(html('*start\nend*'), '*start<br>end*');
    assert.equal(html('`open code'), '`open code');
  });

  it('treats code as literal: no formatting inside', () => {
    assert.equal(html('`*not bold* _nor italic_`'), '<code>*not bold* _nor italic_</code>');
    assert.equal(html('```*x* <b>```'), '<code>*x* &lt;b&gt;</code>');
    // a closing marker inside a code span does not close the bold around it
    assert.equal(html('*see `a*` here*'), '<strong>see <code>a*</code> here</strong>');
  });

  it('keeps URLs literal, underscores and all', () => {
    const text = 'see https://example.org/_private_/a~b~c and _this_';
    assert.equal(html(text), 'see https://example.org/_private_/a~b~c and <em>this</em>');
  });

  it('turns "> " lines into a blockquote and newlines into <br>', () => {
    assert.equal(html('> quoted *bold*\n> second\nafter'), '<blockquote>quoted <strong>bold</strong><br>second</blockquote>after');
    assert.equal(html('one\ntwo'), 'one<br>two');
    assert.equal(html('not > a quote'), 'not &gt; a quote');
  });

  it('escapes every HTML-significant character, inside and outside formatting', () => {
    assert.equal(html('<script>alert("x")</script> & \'q\''), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;');
    assert.equal(html('*<img src=x onerror=alert(1)>*'), '<strong>&lt;img src=x onerror=alert(1)&gt;</strong>');
  });

  it('stays fast and correct on long hostile input', () => {
    const hostile = '*a '.repeat(20000) + '_'.repeat(20000) + '`'.repeat(5000);
    const result = waMarkupToHtml(hostile);
    assert.equal(result.formatted, false);
    assert.ok(result.html.startsWith('*a *a '));
  });
});

describe('remoteTextToMatrix', () => {
  it('sends formatted_body only when there is formatting, and keeps the markers in body', () => {
    assert.deepEqual(remoteTextToMatrix('hello *world*', 'markdown-wa'), {
      body: 'hello *world*',
      formatted_body: 'hello <strong>world</strong>',
    });
    assert.deepEqual(remoteTextToMatrix('just text', 'markdown-wa'), { body: 'just text' });
    assert.deepEqual(remoteTextToMatrix('*plain* stays plain', 'plain'), { body: '*plain* stays plain' });
  });

  it('passes its HTML through the Matrix allow-list sanitiser', () => {
    const out = remoteTextToMatrix('*a*\nb', 'markdown-wa');
    assert.equal(out.formatted_body, '<strong>a</strong><br />b');
  });
});

describe('sanitizeMatrixHtml', () => {
  it('removes script, style, event handlers and unsafe URLs', () => {
    const dirty =
      '<p onclick="steal()">hi<script>alert(1)</script><style>p{color:red}</style></p>' +
      '<a href="javascript:alert(1)">x</a><img src="https://tracker.example/p.gif"><img src="mxc://hs/abc" alt="ok">' +
      '<iframe src="https://evil"></iframe><font color="red" style="x">c</font>';
    assert.equal(
      sanitizeMatrixHtml(dirty),
      '<p>hi</p><a>x</a><img /><img src="mxc://hs/abc" alt="ok" /><font color="red">c</font>',
    );
  });

  it('keeps the tags the spec allows and maps <strike> to <s>', () => {
    assert.equal(
      sanitizeMatrixHtml('<strong>b</strong><em>i</em><strike>s</strike><code class="language-js evil">c</code><ol start="3"><li>x</li></ol>'),
      '<strong>b</strong><em>i</em><s>s</s><code class="language-js">c</code><ol start="3"><li>x</li></ol>',
    );
  });

  it('drops <mx-reply> fallbacks entirely', () => {
    assert.equal(sanitizeMatrixHtml('<mx-reply><blockquote>old</blockquote></mx-reply>new'), 'new');
  });
});
