// The message-request preview: nothing an unknown sender wrote may work as a link, a pill or a
// room mention, in any client's linkifier; and the preview stays one short readable line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { find } from 'linkifyjs';
import { defang, inertPreview, PREVIEW_MAX } from '../../../src/convert/inert-preview';
import type { Content } from '../../../src/protocol/content';

const text = (body: string): Content => ({ kind: 'message', messageId: 'm', parts: [{ type: 'text', body }] } as Content);

test('links, bare domains and e-mail addresses are defanged so that a linkifier finds nothing', () => {
  const samples = [
    'claim it at https://evil.example/win?x=1',
    'go to evil.com now',
    'write to support@evil.org',
    'www.evil.net and http://10.0.0.1:8080/a',
    'ask @admin:evil.com',
  ];
  for (const sample of samples) {
    const out = defang(sample);
    assert.deepEqual(find(out), [], `${JSON.stringify(out)} still has a link`);
  }
  assert.equal(defang('see https://evil.example/win'), 'see https[:]//evil[.]example/win');
});

test('Matrix IDs and @room are inert; ordinary @ and # in prose are left alone', () => {
  assert.equal(defang('ask @admin:evil.com'), 'ask [@]admin:evil[.]com');
  assert.equal(defang('ask @admin:localhost'), 'ask [@]admin:localhost', 'a server name a linkifier misses');
  assert.equal(defang('@room wake up'), '[@]room wake up');
  assert.equal(defang('join #lobby:localhost'), 'join [#]lobby:localhost');
  assert.equal(defang('meet me @ 5, item #3'), 'meet me @ 5, item #3');
});

test('the preview is one line, cut, and says what non-text parts are', () => {
  assert.equal(inertPreview(text('line one\n\n  line two')), 'line one line two');
  assert.ok(inertPreview(text('x'.repeat(1000))).length <= PREVIEW_MAX + 1);
  assert.equal(inertPreview({ kind: 'reaction', messageId: 'r', target: 't', emoji: '👍' } as Content), '(a reaction: 👍)');
  const photo = { kind: 'message', messageId: 'p', parts: [{ type: 'attachment', kind: 'image', caption: 'look at evil.com' }] } as unknown as Content;
  assert.equal(inertPreview(photo), '(a photo) look at evil[.]com');
  assert.equal(inertPreview(text('   ')), '(an empty message)');
});
